// How the gateway's and the replica's HTTP servers answer what Node's parser rejects, and CONNECT
// (common, data plane): a JSON error in our own words, then the connection is closed.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { systemClock } from './clock.js';
import { silent, startSweeping } from './http-slow-clients.js';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, SILENT_CONNECTION_TIMEOUT_MS } from './http-timeouts.js';

/**
 * Makes `server` answer what Node's parser rejects (bad framing, smuggling attempts, oversized
 * headers, request timeouts) and CONNECT (which Node would just drop) with `{"error": ...}` in our
 * own words, then close the connection.
 */
export function hardenServer(server: Server): void {
  server.on('clientError', answerClientError);
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    endWith(
      socket,
      rawErrorResponse(405, 'CONNECT is not supported: this server answers HTTP/1.1 requests to /v2/... and /metrics'),
    );
  });
}

/** The status and message for a connection-level error, or undefined when nothing is to be written. */
export function clientErrorReply(
  code: string | undefined,
  bytesRead: number,
): { status: number; message: string } | undefined {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // A connection that never sent a byte gets no answer to a request it never made.
    if (bytesRead === 0) return undefined;
    return {
      status: 408,
      message:
        `the request did not arrive in time (its headers are due within ` +
        `${HEADERS_TIMEOUT_MS} ms, the whole request within ${REQUEST_TIMEOUT_MS / 1000} ` +
        `s); the connection is closed`,
    };
  }
  if (code === undefined || !code.startsWith('HPE_')) return undefined; // reset, broken pipe: nobody to answer
  if (code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, message: `the request line and headers are larger than ${maxHeaderSize} bytes` };
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW')
    return { status: 413, message: 'the chunk extensions of the request body are too large' };
  if (code === 'HPE_INVALID_EOF_STATE')
    return { status: 400, message: 'the connection was closed before the whole request arrived' };
  return {
    status: 400,
    message: `${parserProblems[code] ?? 'the request is not valid HTTP/1.1'}; the connection ` + `is closed`,
  };
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
  return (
    `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}\r\ncontent-type: ` +
    `application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: ` +
    `close\r\n\r\n${body}`
  );
}

const reasons: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
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
