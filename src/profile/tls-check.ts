// The TLS certificates of profiles judged at a moment (profile, control plane): what `serve
// validate` and `serve up` refuse (expired, not yet valid) and warn about (expires within 14 days).
// Not part of loading a profile, which must not depend on the day it runs (export, tune, simulate).
import { judgeCertFile } from '../common/tls-expiry.js';
import type { Profile } from './types.js';

export interface TlsCheck {
  /** One line each: file, the date that decides and the fix. */
  refused: string[];
  warnings: string[];
}

/**
 * Judges the certificate of every profile given (a schedule's profiles may share one, judged once)
 * at `nowMs`. A file that cannot be read or parsed is left to the gateway, which names it at start.
 */
export function checkTlsCertificates(profiles: readonly Profile[], nowMs: number): TlsCheck {
  const out: TlsCheck = { refused: [], warnings: [] };
  const files = new Set(profiles.flatMap((p) => (p.gateway.tls ? [p.gateway.tls.certPath] : [])));
  for (const file of files) {
    const v = judgeCertFile(file, nowMs);
    if (v?.kind === 'refused') out.refused.push(`gateway.tls.cert: ${v.message}`);
    else if (v?.kind === 'expires-soon') out.warnings.push(`gateway.tls.cert: ${v.message}`);
  }
  return out;
}
