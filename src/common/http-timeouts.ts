// The time limits of the gateway's and the replica's HTTP servers (common, data plane): how long a
// request's headers, body and whole may take, and how long silent and idle connections are kept.
import type { ServerOptions } from 'node:http';

/** The request line and headers must be complete this long after their first byte (ms). */
export const HEADERS_TIMEOUT_MS = 1500;
/** A request body that receives nothing for this long is answered 408 and closed (ms). */
export const BODY_IDLE_TIMEOUT_MS = 1500;
/** A whole request (headers and body) must have arrived this long after its first byte (ms). */
export const REQUEST_TIMEOUT_MS = 60_000;
/**
 * A new connection that sends nothing at all is closed after this long, without a status line (ms).
 * Longer than HEADERS_TIMEOUT_MS: a gateway busy shedding a flood may read a new connection's first
 * request late, and must not reset it for that.
 */
export const SILENT_CONNECTION_TIMEOUT_MS = 5000;
/** An idle keep-alive connection is closed after this long (ms). */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** How often the request timeouts above are checked (ms): they fire at most this late. */
export const TIMEOUT_CHECK_INTERVAL_MS = 250;

/** Options for http.createServer: the timeouts above. Idle keep-alive time counts for none but the last. */
export function hardenedServerOptions(): ServerOptions {
  return {
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
  };
}
