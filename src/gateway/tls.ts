// HTTPS for the gateway (gateway, data plane): the certificate chain and key are read from their
// files at start and again on reload (SIGHUP), which swaps the context for new handshakes only, so
// no open connection is dropped; a reload that fails keeps the old certificate and says why. An
// expired or not yet valid certificate is refused like a broken one; one that expires within 14
// days is loaded with a warning; its expiry goes to a gauge.
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { UserError, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { certValidity, judgeCert, type CertValidity } from '../common/tls-expiry.js';

/** The certificate chain and private key files (PEM). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** The gateway's certificate: loaded at start, reloaded on SIGHUP, its expiry reported. */
export class GatewayTls {
  /**
   * `onExpiry` gets each loaded certificate's notAfter in ms since the epoch; `wallNowMs` is the
   * wall clock (certificate dates are calendar time, not the monotonic Clock).
   */
  constructor(
    private readonly files: TlsFiles,
    private readonly log: Logger,
    private readonly onExpiry: (notAfterMs: number) => void,
    private readonly wallNowMs: () => number = Date.now,
  ) {}

  /** The context options to start with; throws a UserError for a broken, expired or not yet valid certificate. */
  load(): SecureContextOptions {
    return this.loadChecked();
  }

  /** Swaps `server`'s context for new handshakes; throws (keeping the old one) when the files are refused. */
  reload(server: https.Server): void {
    server.setSecureContext(this.loadChecked());
    this.log.info('TLS certificate reloaded', { cert: this.files.certFile });
  }

  private loadChecked(): SecureContextOptions {
    const options = loadTls(this.files);
    const validity = validityOf(options.cert as Buffer);
    const verdict = judgeCert(this.files.certFile, validity, this.wallNowMs());
    if (verdict.kind === 'refused') throw new UserError(`${verdict.message} (gateway.tls.cert, --tls-cert)`);
    if (verdict.kind === 'expires-soon') this.log.warn(verdict.message, { cert: this.files.certFile });
    this.onExpiry(validity.notAfterMs);
    return options;
  }
}

/** createSecureContext took the chain, so its first certificate parses; the guard is for odd PEM. */
function validityOf(pem: Buffer): CertValidity {
  try {
    return certValidity(pem);
  } catch (err) {
    throw new UserError(
      `the TLS certificate file cannot be read as X.509 (${errorMessage(err)}): give ` +
        `a PEM certificate chain (gateway.tls.cert, --tls-cert)`,
    );
  }
}

/**
 * Reads both files and checks that they make a usable context (the key fits the certificate).
 * Throws a UserError naming the file and the setting; OpenSSL's reason never holds key material.
 */
export function loadTls(files: TlsFiles): SecureContextOptions {
  const read = (file: string, what: string, flag: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UserError(
        `cannot read the TLS ${what} ${file} (` +
          `${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}): check ${flag}`,
      );
    }
  };
  const options = {
    cert: read(files.certFile, 'certificate', 'gateway.tls.cert (--tls-cert)'),
    key: read(files.keyFile, 'key', 'gateway.tls.key (--tls-key)'),
  };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new UserError(
      `the TLS certificate ${files.certFile} and key ${files.keyFile} cannot be used ` +
        `together (${errorMessage(err)}): give a PEM certificate chain and its own ` +
        `private key`,
    );
  }
  return options;
}
