// The TLS certificate check of `serve validate` and `serve up` (cli): an expired or not yet valid
// certificate is a user error (exit 2) naming the file and its dates; one that expires within 14
// days is a warning on stderr.
import { UserError } from '../common/errors.js';
import { checkTlsCertificates } from '../profile/tls-check.js';
import type { Profile } from '../profile/types.js';

/** Throws a UserError for a refused certificate; writes each warning with `warn`. */
export function enforceCertificates(
  profiles: readonly Profile[],
  warn: (line: string) => void,
  nowMs = Date.now(),
): void {
  const c = checkTlsCertificates(profiles, nowMs);
  for (const w of c.warnings) warn(`serve: warning: ${w}`);
  if (c.refused.length > 0) throw new UserError(c.refused[0]!, { details: c.refused.slice(1) });
}
