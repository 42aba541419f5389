// The validity window of a TLS certificate (common, used by the gateway and by `serve validate` and
// `serve up`): an expired or not yet valid certificate is refused, one that expires soon is warned
// about. The judgement is pure (dates in, verdict out); reading the PEM file is a thin shell.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Warn when the certificate expires within this long (14 days). */
export const CERT_EXPIRY_WARNING_MS = 14 * 24 * 3600 * 1000;

/** When the first certificate of a PEM chain (the one presented) is valid, in ms since the epoch. */
export interface CertValidity {
  notBeforeMs: number;
  notAfterMs: number;
}

export type CertVerdict =
  { kind: 'valid' } | { kind: 'expires-soon'; message: string } | { kind: 'refused'; message: string };

/** The validity window of the first certificate in `pem` (throws if there is none). */
export function certValidity(pem: Buffer | string): CertValidity {
  const cert = new X509Certificate(pem);
  return { notBeforeMs: Date.parse(cert.validFrom), notAfterMs: Date.parse(cert.validTo) };
}

/**
 * Judges `v` at `nowMs` (pure). Messages name `file` and the date that decides, in ISO form:
 * "the TLS certificate /x/cert.pem expired at 2026-01-01T00:00:00.000Z (notAfter)".
 */
export function judgeCert(file: string, v: CertValidity, nowMs: number): CertVerdict {
  const at = (ms: number) => new Date(ms).toISOString();
  if (nowMs > v.notAfterMs) {
    return {
      kind: 'refused',
      message: `the TLS certificate ${file} expired at ${at(v.notAfterMs)} (notAfter): renew it`,
    };
  }
  if (nowMs < v.notBeforeMs) {
    return {
      kind: 'refused',
      message:
        `the TLS certificate ${file} is not valid before ${at(v.notBeforeMs)} ` +
        `(notBefore; notAfter ${at(v.notAfterMs)}): check the clock or the certificate`,
    };
  }
  const leftMs = v.notAfterMs - nowMs;
  if (leftMs < CERT_EXPIRY_WARNING_MS) {
    const days = (leftMs / 86_400_000).toFixed(1);
    return {
      kind: 'expires-soon',
      message:
        `the TLS certificate ${file} expires in ${days} days, at ${at(v.notAfterMs)} ` +
        `(notAfter): renew it and send SIGHUP to the gateway`,
    };
  }
  return { kind: 'valid' };
}

/**
 * Reads `file` and judges its certificate at `nowMs`; undefined when it cannot be read or parsed
 * (whoever loads it for real reports that, with its own words).
 */
export function judgeCertFile(file: string, nowMs: number): (CertVerdict & { validity: CertValidity }) | undefined {
  let validity: CertValidity;
  try {
    validity = certValidity(readFileSync(file));
  } catch {
    return undefined;
  }
  return { ...judgeCert(file, validity, nowMs), validity };
}
