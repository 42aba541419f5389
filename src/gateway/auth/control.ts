// The `auth` control message (gateway, data plane): the accepted token digests with their names and
// quotas, and the open paths, checked by hand like every control line (a bad one is refused whole).
import type { AuthConfig, HashedToken } from '../../common/auth.js';

const DIGEST = /^[0-9a-f]{64}$/;

/** Checks the `auth` field of an auth control message; throws an Error saying what is wrong. */
export function parseAuth(raw: unknown): AuthConfig {
  if (typeof raw !== 'object' || raw === null)
    throw new Error('"auth" must be {"tokens":[...],"openHealth":bool,"openMetrics":bool}');
  const { tokens, openHealth, openMetrics } = raw as Record<string, unknown>;
  if (!Array.isArray(tokens) || tokens.length === 0)
    throw new Error('"auth.tokens" must be a non-empty array of {name, sha256, requestsPerSecond?, burst?}');
  if (typeof openHealth !== 'boolean' || typeof openMetrics !== 'boolean')
    throw new Error('"auth.openHealth" and "auth.openMetrics" must be true or false');
  return { tokens: tokens.map(parseToken), openHealth, openMetrics };
}

function parseToken(raw: unknown, i: number): HashedToken {
  const t = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (typeof t.name !== 'string' || t.name === '' || t.name.length > 64)
    throw new Error(`auth.tokens[${i}].name must be a name of 1 to 64 characters`);
  if (typeof t.sha256 !== 'string' || !DIGEST.test(t.sha256))
    throw new Error(`auth.tokens[${i}].sha256 must be 64 lowercase hex digits`);
  const out: HashedToken = { name: t.name, sha256: t.sha256 };
  if (t.requestsPerSecond !== undefined) {
    if (typeof t.requestsPerSecond !== 'number' || !(t.requestsPerSecond > 0))
      throw new Error(`auth.tokens[${i}].requestsPerSecond must be a number above 0`);
    out.requestsPerSecond = t.requestsPerSecond;
  }
  if (t.burst !== undefined) {
    if (typeof t.burst !== 'number' || !Number.isInteger(t.burst) || t.burst < 1)
      throw new Error(`auth.tokens[${i}].burst must be a whole number of at least 1`);
    out.burst = t.burst;
  }
  return out;
}
