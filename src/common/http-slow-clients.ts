// The watch over slow clients of the gateway's and the replica's HTTP servers (common, data plane):
// one sweep timer closes new connections that send nothing and requests whose body stops arriving.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { systemClock } from './clock.js';
import { BODY_IDLE_TIMEOUT_MS, TIMEOUT_CHECK_INTERVAL_MS } from './http-timeouts.js';

const kWatch = Symbol('serve.bodyWatch');
interface BodyWatch {
  req: IncomingMessage;
  res: ServerResponse;
  onStall: () => void;
  /** The connection's bytes read at the last sweep, and since when that has not changed. */
  bytesRead: number;
  quietSinceMs: number;
}
type Watched = IncomingMessage & { [kWatch]?: BodyWatch };

/** Bodies still arriving; one sweep timer for all of them keeps the per-request cost at a Set insert. */
const watches = new Set<BodyWatch>();
/** New connections that have sent nothing, and when they are closed (clock ms). */
export const silent = new Map<Socket, number>();
let sweeper: NodeJS.Timeout | undefined;

/** Starts the sweep timer unless it runs; it stops itself once nothing is watched. */
export function startSweeping(): void {
  if (sweeper !== undefined) return;
  sweeper = setInterval(sweep, TIMEOUT_CHECK_INTERVAL_MS);
  sweeper.unref();
}

/** True when the request announces a body (Content-Length above 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Watches the arrival of `req`'s body: once nothing of it has arrived for BODY_IDLE_TIMEOUT_MS
 * (checked every TIMEOUT_CHECK_INTERVAL_MS), calls `onStall`, which should answer 408 and close;
 * if a response has already started, the connection is closed instead. The watch ends when the
 * body is complete, so time spent answering and idle keep-alive time never count. The body must be
 * read as it arrives (a paused request looks stalled). Calling it again for the same request only
 * replaces `onStall`.
 */
export function watchBody(
  req: IncomingMessage,
  res: ServerResponse,
  onStall: () => void = () => stallReply(res),
): void {
  const r = req as Watched;
  const existing = r[kWatch];
  if (existing !== undefined) {
    existing.onStall = onStall;
    return;
  }
  if (req.complete || !hasBody(req)) return;
  const w: BodyWatch = { req, res, onStall, bytesRead: req.socket.bytesRead, quietSinceMs: systemClock.nowMs() };
  r[kWatch] = w;
  watches.add(w);
  startSweeping();
}

/**
 * Call at the start of every request that may be answered without reading its body (an early
 * 4xx/503, after which Node reads and drops it): the body must still keep arriving, or the
 * connection is closed, instead of being held until REQUEST_TIMEOUT_MS.
 */
export function guardUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  watchBody(req, res);
}

function sweep(): void {
  const nowMs = systemClock.nowMs();
  for (const [socket, closeAtMs] of silent) {
    // Once it sends something, Node's headers timeout watches it again.
    if (socket.destroyed || socket.bytesRead > 0) silent.delete(socket);
    else if (nowMs >= closeAtMs) {
      silent.delete(socket);
      socket.destroy();
    }
  }
  for (const w of watches) {
    const socket = w.req.socket as Socket | null;
    if (w.req.complete || socket === null || socket.destroyed) {
      watches.delete(w);
      continue;
    }
    if (socket.bytesRead !== w.bytesRead) {
      w.bytesRead = socket.bytesRead;
      w.quietSinceMs = nowMs;
    } else if (nowMs - w.quietSinceMs >= BODY_IDLE_TIMEOUT_MS) {
      watches.delete(w);
      try {
        if (w.res.headersSent) socket.destroy();
        else w.onStall();
      } catch {
        socket.destroy(); // a timer callback must never throw: that would end the process
      }
    }
  }
  if (watches.size === 0 && silent.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** The 408 for a body that stopped arriving, in our words. */
export const BODY_STALLED_MESSAGE =
  `the request body stopped arriving (nothing for ${BODY_IDLE_TIMEOUT_MS} ms); ` + `the connection is closed`;

/** Answers 408 `{"error": ...}` and closes the connection (the rest of the body is not awaited). */
export function stallReply(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) {
    res.socket?.destroy();
    return;
  }
  const body = JSON.stringify({ error: BODY_STALLED_MESSAGE });
  res.writeHead(408, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}
