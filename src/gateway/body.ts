// Reading the body of a request the gateway forwards (gateway, data plane): whole, under a byte
// limit, and watched so that a body that stops arriving is answered 408 instead of held.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BODY_STALLED_MESSAGE, watchBody } from '../common/http-slow-clients.js';
import type { Exchange } from './exchange.js';

/** Largest request body the gateway buffers (bytes); bigger ones get 413. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** What reading ends with: the whole body, or the gateway's own answer (status, message, close). */
export interface BodySink {
  body(bytes: Buffer): void;
  refuse(status: number, message: string, close: boolean): void;
}

/**
 * Reads `req`'s body and calls exactly one of `sink.body` / `sink.refuse` (the latter perhaps more
 * than once: the sink ignores later calls): 413 and close for a body over MAX_BODY_BYTES (at once
 * for a declared one), 408 and close when it stops arriving, 400 when the connection breaks.
 */
export function readForwardedBody(req: IncomingMessage, res: ServerResponse, sink: BodySink): void {
  // Close the connection after the 413 instead of reading (and dropping) the rest of the body.
  const tooLarge = () => sink.refuse(413, `request body is larger than ${MAX_BODY_BYTES} bytes`, true);
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return tooLarge();
  const chunks: Buffer[] = [];
  let bytes = 0;
  let over = false;
  watchBody(req, res, () => sink.refuse(408, BODY_STALLED_MESSAGE, true));
  req.on('data', (chunk: Buffer) => {
    if (over) return;
    bytes += chunk.length;
    if (bytes > MAX_BODY_BYTES) {
      over = true;
      return tooLarge();
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (!over) sink.body(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes));
  });
  req.on('error', () => sink.refuse(400, 'the request body could not be read', false));
}

/** What reading an exchange's body needs of the gateway: answering it when the body is refused. */
export interface BodyOwner {
  finishOwn(ex: Exchange, status: number, message: string, close?: boolean): void;
}

/** Reads `ex`'s body into `ex.body`, then calls `next` (unless the exchange was answered meanwhile). */
export function readExchangeBody(ex: Exchange, owner: BodyOwner, next: () => void): void {
  ex.readingBody = true;
  readForwardedBody(ex.req, ex.res, {
    body: (bytes) => {
      ex.readingBody = false;
      if (ex.done) return;
      ex.body = bytes;
      next();
    },
    refuse: (status, message, close) => owner.finishOwn(ex, status, message, close),
  });
}
