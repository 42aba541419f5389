// Small HTTP helpers of the replica (data plane): reading a body under a byte limit (declared or
// chunked) and writing JSON and error responses in the `{"error": "..."}` format.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BODY_STALLED_MESSAGE, watchBody } from '../common/http-slow-clients.js';
import { BINARY_HEADER_LENGTH } from '../common/wire.js';
import { HttpError } from './http-error.js';

/**
 * Reads the whole body of `req`, refusing with 413 as soon as it exceeds `maxBytes` (checked
 * against Content-Length up front and against the bytes received for chunked bodies), and with
 * 408 when it stops arriving (see watchBody).
 */
export function readBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) {
      reject(tooLarge(maxBytes, `Content-Length is ${declared} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let failed = false;
    watchBody(req, res, () => {
      failed = true;
      reject(new HttpError(408, BODY_STALLED_MESSAGE));
    });
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        failed = true;
        req.removeListener('data', onData);
        chunks.length = 0;
        reject(tooLarge(maxBytes, `body exceeded ${maxBytes} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    let ended = false;
    req.once('end', () => {
      ended = true;
      if (failed) return;
      const jsonBytes = Number(req.headers[BINARY_HEADER_LENGTH] ?? NaN);
      if (chunks.length === 1) resolve(chunks[0]!);
      else if (Number.isSafeInteger(jsonBytes) && jsonBytes >= 0) resolve(joinChunks(chunks, total, jsonBytes));
      else resolve(Buffer.concat(chunks, total));
    });
    // A client that goes away mid-body must not leave the request counted as in flight.
    req.once('close', () => {
      if (!ended && !failed) reject(new HttpError(400, 'client closed the connection before sending the whole body'));
    });
    req.once('error', (err) => {
      if (!failed) reject(new HttpError(400, `request body could not be read (${err.message})`));
    });
  });
}

/**
 * Joins the chunks of a body placed so that byte `alignAt` (where the binary tensors start) is
 * 8-byte aligned in memory: fromBytes then views those tensors instead of copying them again, so
 * their bytes are copied once (here) on the way from the socket to the batch.
 */
export function joinChunks(chunks: readonly Buffer[], total: number, alignAt: number): Buffer {
  const pad = (8 - (alignAt % 8)) % 8;
  const out = Buffer.allocUnsafeSlow(total + pad).subarray(pad);
  let at = 0;
  for (const c of chunks) at += c.copy(out, at);
  return out;
}

/** The 413 of a body over `maxBytes`; `what` says how it was seen. */
export function tooLarge(maxBytes: number, what: string): HttpError {
  return new HttpError(
    413,
    `request body too large: ${what}; this replica accepts at most ${maxBytes} ` + `bytes (--max-body)`,
  );
}

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends `{"error": message}`. Anything that is not an HttpError becomes a generic 500. */
export function sendError(res: ServerResponse, err: unknown, extraHeaders?: Record<string, string>): number {
  const e = err instanceof HttpError ? err : new HttpError(500, 'internal error in the replica');
  if (res.headersSent) {
    res.destroy();
    return e.status;
  }
  const headers: Record<string, string> = { ...extraHeaders };
  if (e.retryAfterS !== undefined) headers['retry-after'] = String(e.retryAfterS);
  // After a refused oversized or stalled body the rest of it is not worth waiting for: close.
  if (e.status === 413 || e.status === 408) headers.connection = 'close';
  sendJson(res, e.status, { error: e.message }, headers);
  return e.status;
}
