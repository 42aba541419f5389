// The cluster token check of a replica (data plane, replica): a replica that may be reachable
// beyond loopback answers only requests that carry its cluster's token, compared in constant time
// (routes.ts leaves /metrics and health open: they carry no inputs or outputs).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { CLUSTER_TOKEN_HEADER } from '../common/wire.js';
import { HttpError } from './http-error.js';

/** Accepts requests whose CLUSTER_TOKEN_HEADER equals the token. */
export class ClusterTokenCheck {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  /**
   * Throws a 401 HttpError unless `req` carries the token. Digests of equal length are compared
   * with timingSafeEqual, so the time taken says nothing about how much of a guess was right.
   */
  check(req: IncomingMessage): void {
    try {
      this.checkHeaders(req.headers);
    } catch (err) {
      // The body of a refused request is not wanted; read it away so the connection stays usable.
      req.resume();
      throw err;
    }
  }

  /** As `check`, given the request's headers (a framed request: frame-server.ts). */
  checkHeaders(headers: IncomingHttpHeaders): void {
    const given = headers[CLUSTER_TOKEN_HEADER];
    const text = Array.isArray(given) ? given[0] : given;
    if (text !== undefined && this.matches(text)) return;
    throw new HttpError(
      401,
      text === undefined
        ? `this replica answers only its cluster: send the cluster's ` +
            `${CLUSTER_TOKEN_HEADER} header (the gateway adds it; call the gateway instead)`
        : `the ${CLUSTER_TOKEN_HEADER} header does not match this replica's cluster`,
    );
  }

  /** True when `text` is the token (a TCP frame connection's hello: frame-server.ts), in constant time. */
  matches(text: string): boolean {
    return timingSafeEqual(sha256(text), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
