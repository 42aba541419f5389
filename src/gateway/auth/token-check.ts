// Checking a presented bearer token (gateway, data plane): the `Authorization: Bearer` header's token
// is hashed and compared with every accepted digest in constant time, so neither a match nor its
// position shows in the timing. The gateway only ever holds digests (common/auth.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HashedToken } from '../../common/auth.js';

/** Who a request is: a known token, no token, or a token that matches none. */
export type Identity = { token: HashedToken } | { missing: true } | { invalid: true };

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

export class TokenCheck {
  private readonly digests: Buffer[];

  constructor(private readonly tokens: readonly HashedToken[]) {
    this.digests = tokens.map((t) => Buffer.from(t.sha256, 'hex'));
  }

  /** Identifies the sender of `authorization` (the header's value). */
  identify(authorization: string | undefined): Identity {
    const token = bearerToken(authorization);
    if (token === undefined) return authorization === undefined ? { missing: true } : { invalid: true };
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let found = -1;
    // Every digest is compared, whatever matched before: the time taken does not depend on which one matches.
    for (let i = 0; i < this.digests.length; i++) {
      if (timingSafeEqual(presented, this.digests[i]!) && found < 0) found = i;
    }
    return found < 0 ? { invalid: true } : { token: this.tokens[found]! };
  }
}
