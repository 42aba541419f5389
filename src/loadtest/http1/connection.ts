// One socket of the load client's HTTP/1.1 pool and the request on it (loadtest): its state, and
// how a request ends (a response, or the class of its failure).
import type net from 'node:net';
import { ResponseParser } from './parser.js';

/** How a request ended: a complete response, or the error class of a failure. */
export interface Http1Response {
  status: number;
  /** Inference-Header-Content-Length, when the answer carried it. */
  binaryHeaderLength: number | undefined;
  /** The body, only when the request asked to keep it and the status is 2xx. */
  body: Buffer | undefined;
  /** The body looks like an OIP v2 inference response (see body-probe.ts). */
  inferenceShaped: boolean;
  /** The X-Model-Version the answer named; '' when none. */
  modelVersion: string;
}

/**
 * Called once per request: a response, or the class of a failure: `connection` when no connection
 * could be made for it (refused, unreachable, TLS failed, or still connecting at its deadline),
 * `bad_response` when the server was reached but did not answer HTTP properly (garbage, bad framing,
 * a head over MAX_HEAD_BYTES, bytes after the response, or closed before the response ended), and
 * `timeout` past its deadline otherwise.
 */
export type Http1Callback = (response: Http1Response | undefined, errorClass: string | undefined) => void;

export interface Pending {
  bytes: Buffer;
  keepBody: boolean;
  deadlineMs: number;
  callback: Http1Callback;
}

/** One socket and the request on it. */
export class Connection {
  readonly parser = new ResponseParser(true, true);
  current: Pending | undefined;
  /** Set once TCP (and TLS) is established: failures before it are `connection`, after it `bad_response`. */
  connected = false;
  /** When the server's keep-alive hint says it may close the idle socket (performance.now time). */
  reuseUntilMs = Infinity;
  closed = false;
  constructor(readonly socket: net.Socket) {}
}

/** How a connection's request failed when the socket went away: see Http1Callback. */
export function lost(conn: Connection): string {
  return conn.connected ? 'bad_response' : 'connection';
}
