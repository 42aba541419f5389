// The token of one cluster (control plane): 32 random bytes made per `serve up`, given to the
// gateway and every replica on stdin (never in argv); replicas answer nothing without it.
import { randomBytes } from 'node:crypto';

/** A fresh token: 256 random bits, base64url (43 characters, safe in a header). */
export function newClusterToken(): string {
  return randomBytes(32).toString('base64url');
}
