// Shedding a request from its headers alone (gateway, data plane): the cheapest refusal, and the
// connection it came on either closed or left unread until the gateway has room again.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasBody } from '../common/http-slow-clients.js';
import type { Refusal } from './admission.js';
import type { ReadPause } from './read-pause.js';
import type { Responder } from './responder.js';

/** A body up to this size (bytes) arrives with its headers, in one socket read (Node reads 64 KiB at a time). */
const SMALL_BODY_BYTES = 64 * 1024;

/**
 * Sheds a request from its headers alone, the cheapest place (Envoy's overload manager does the
 * same). A body still to come that is chunked or larger than one socket read is never read
 * (`Connection: close` ends the connection after the 503). A small body came with its headers in
 * the same read: that connection stays open but is not read again until a replica slot frees
 * (pump) or Retry-After has passed, so the flood costs no more parsing and refusing.
 */
export function shedAtHeaders(
  answers: Responder,
  readPause: ReadPause,
  req: IncomingMessage,
  res: ServerResponse,
  startMs: number,
  refused: Refusal,
): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  const bodyToCome = hasBody(req) && !req.complete && !(declared <= SMALL_BODY_BYTES);
  if (bodyToCome) res.setHeader('connection', 'close');
  answers.rejectNow(req, res, startMs, 503, refused.message, refused.reason);
  if (bodyToCome) return;
  // Paused once the request has ended: Node resumes the socket to drop an unfinished body.
  if (req.complete || !hasBody(req)) readPause.pause(req.socket);
  else req.once('end', () => readPause.pause(req.socket));
}
