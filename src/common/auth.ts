// Client-facing bearer tokens (common: the profile hashes them, the gateway checks them): what a
// usable token looks like, its SHA-256 digest, and the hashed token list the controller hands the
// gateway on stdin. Plain tokens never leave the profile loader: everything after it holds digests.
import { createHash } from 'node:crypto';

/** Shortest token accepted: guessing 16 random characters is out of reach; shorter ones are refused. */
export const MIN_TOKEN_LENGTH = 16;

/** RFC 6750's token68 characters: what may follow `Bearer ` in an Authorization header. */
const TOKEN_CHARS = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Why `token` cannot be used as a bearer token, or undefined when it can. Never quotes the token. */
export function tokenProblem(token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH)
    return (
      `is ${token.length} characters long, fewer than ${MIN_TOKEN_LENGTH} (e.g. ` + `\`openssl rand -hex 32\` makes 64)`
    );
  if (!TOKEN_CHARS.test(token))
    return (
      'holds characters a bearer token cannot carry (use A-Z a-z 0-9 - . _ ~ + /, e.g. ' + '`openssl rand -hex 32`)'
    );
  return undefined;
}

/** Lowercase hex SHA-256 of the token's UTF-8 bytes. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** One accepted token as the gateway holds it: a name for metrics and logs, its digest, its quota. */
export interface HashedToken {
  /** Shown in /metrics and logs instead of the token ("token-1" unless the profile names it). */
  name: string;
  /** hashToken() of the token. */
  sha256: string;
  /** Sustained requests per second allowed; absent: no quota. */
  requestsPerSecond?: number;
  /** Requests allowed at once above the rate (the bucket's size); default: one second's worth. */
  burst?: number;
}

/** The gateway's authentication: who may call it, and which paths are open without a token. */
export interface AuthConfig {
  tokens: HashedToken[];
  /** /v2/health/live and /v2/health/ready answer without a token. */
  openHealth: boolean;
  /** /metrics answers without a token. */
  openMetrics: boolean;
}
