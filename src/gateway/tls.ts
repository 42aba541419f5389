// HTTPS for the gateway (gateway, data plane): the certificate chain and key are read from their
// files at start and again on reload (SIGHUP), which swaps the context for new handshakes only, so
// no open connection is dropped; a reload that fails keeps the old certificate and says why.
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { UserError, errorMessage } from '../common/errors.js';

/** The certificate chain and private key files (PEM). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
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
      throw new UserError(`cannot read the TLS ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}): check ${flag}`);
    }
  };
  const options = {
    cert: read(files.certFile, 'certificate', 'gateway.tls.cert (--tls-cert)'),
    key: read(files.keyFile, 'key', 'gateway.tls.key (--tls-key)'),
  };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new UserError(`the TLS certificate ${files.certFile} and key ${files.keyFile} cannot be used together (${errorMessage(err)}): give a PEM certificate chain and its own private key`);
  }
  return options;
}
