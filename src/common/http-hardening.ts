// What the gateway's and the replica's HTTP servers share against slow, broken or hostile clients
// (common, data plane): server timeouts, the JSON answer to requests Node's parser rejects, and a
// watch that closes a request whose body stops arriving. One place, so both servers behave alike.
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import { maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { systemClock } from './clock.js';

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
const TIMEOUT_CHECK_INTERVAL_MS = 250;

/** Options for http.createServer: the timeouts above. Idle keep-alive time counts for none but the last. */
export function hardenedServerOptions(): ServerOptions {
  return {
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
  };
}

/**
 * Makes `server` answer what Node's parser rejects (bad framing, smuggling attempts, oversized
 * headers, request timeouts) and CONNECT (which Node would just drop) with `{"error": ...}` in our
 * own words, then close the connection.
 */
export function hardenServer(server: Server): void {
  server.on('clientError', answerClientError);
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    endWith(socket, rawErrorResponse(405, 'CONNECT is not supported: this server answers HTTP/1.1 requests to /v2/... and /metrics'));
  });
}

/** The status and message for a connection-level error, or undefined when nothing is to be written. */
export function clientErrorReply(code: string | undefined, bytesRead: number): { status: number; message: string } | undefined {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // A connection that never sent a byte gets no answer to a request it never made.
    if (bytesRead === 0) return undefined;
    return {
      status: 408,
      message: `the request did not arrive in time (its headers are due within ${HEADERS_TIMEOUT_MS} ms, the whole request within ${REQUEST_TIMEOUT_MS / 1000} s); the connection is closed`,
    };
  }
  if (code === undefined || !code.startsWith('HPE_')) return undefined; // reset, broken pipe: nobody to answer
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, message: `the request line and headers are larger than ${maxHeaderSize} bytes` };
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return { status: 413, message: 'the chunk extensions of the request body are too large' };
  if (code === 'HPE_INVALID_EOF_STATE') return { status: 400, message: 'the connection was closed before the whole request arrived' };
  return { status: 400, message: `${parserProblems[code] ?? 'the request is not valid HTTP/1.1'}; the connection is closed` };
}

/** Our words for llhttp's error codes (what the client got wrong, never Node's message). */
const parserProblems: Record<string, string> = {
  HPE_INVALID_METHOD: 'unknown HTTP method',
  HPE_INVALID_URL: 'malformed request target',
  HPE_INVALID_VERSION: 'unsupported HTTP version: send HTTP/1.1',
  HPE_INVALID_HEADER_TOKEN: 'malformed header line',
  HPE_INVALID_CONSTANT: 'malformed request line',
  HPE_CR_EXPECTED: 'malformed line ending: lines end with CRLF',
  HPE_LF_EXPECTED: 'malformed line ending: lines end with CRLF',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length given twice, or together with Transfer-Encoding',
  HPE_INVALID_CONTENT_LENGTH: 'Content-Length is not a valid length',
  HPE_INVALID_TRANSFER_ENCODING: 'unsupported Transfer-Encoding: send Content-Length or Transfer-Encoding: chunked',
  HPE_INVALID_CHUNK_SIZE: 'malformed chunked body',
  HPE_STRICT: 'malformed chunked body',
};

/** The bytes of a complete `{"error": message}` response that closes the connection. */
export function rawErrorResponse(status: number, message: string): string {
  const body = JSON.stringify({ error: message });
  return `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

const reasons: Record<number, string> = {
  400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large',
};

function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const bytesRead = (socket as { bytesRead?: number }).bytesRead ?? 0;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && bytesRead === 0 && socket.writable) {
    // Nothing read yet: a silent client, or one whose request the server has not got to yet.
    silent.set(socket as Socket, systemClock.nowMs() + SILENT_CONNECTION_TIMEOUT_MS - HEADERS_TIMEOUT_MS);
    startSweeping();
    return;
  }
  const reply = clientErrorReply(err.code, bytesRead);
  // Node's own rule: never write into a response that has already started on this connection.
  const started = (socket as { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true;
  if (reply === undefined || !socket.writable || started) {
    socket.destroy();
    return;
  }
  endWith(socket, rawErrorResponse(reply.status, reply.message));
}

/** Writes `bytes` and closes, destroying the socket once written (or after 1 s if the peer never reads). */
function endWith(socket: Duplex, bytes: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.end(bytes, () => {
    clearTimeout(timer);
    socket.destroy();
  });
}

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
const silent = new Map<Socket, number>();
let sweeper: NodeJS.Timeout | undefined;

function startSweeping(): void {
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
export function watchBody(req: IncomingMessage, res: ServerResponse, onStall: () => void = () => stallReply(res)): void {
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
export const BODY_STALLED_MESSAGE = `the request body stopped arriving (nothing for ${BODY_IDLE_TIMEOUT_MS} ms); the connection is closed`;

/** Answers 408 `{"error": ...}` and closes the connection (the rest of the body is not awaited). */
export function stallReply(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) {
    res.socket?.destroy();
    return;
  }
  const body = JSON.stringify({ error: BODY_STALLED_MESSAGE });
  res.writeHead(408, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}
