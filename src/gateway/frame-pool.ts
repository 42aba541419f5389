// Infer requests to a replica over frames (gateway, data plane): the part of undici's Dispatcher the
// gateway uses (dispatch, close, destroy), calling an Attempt's handler callbacks as undici would,
// with requests multiplexed by id over a few connections to the replica's unix frame socket (this
// host) or TCP frame port (an SSH host: each connection opens with a hello frame carrying the cluster
// token). A connection that closes, breaks the framing, is refused or does not connect in time fails
// its requests with onError, so retries and ejection apply as over HTTP; the next request opens a new one.
import net from 'node:net';
import { decodeResponse, encodeRequestHead, FRAME_META_SLACK_BYTES, FrameType } from '../common/frames/codec.js';
import { connectFrames } from '../common/frames/tcp.js';
import { FrameDecoder, type Frame } from '../common/frames/decoder.js';
import type { Logger } from '../common/log.js';

/** undici's legacy dispatch handler, as Attempt (exchange.ts) implements it. */
export interface FrameHandler {
  onConnect(abort: (err?: Error) => void): void;
  onRequestSent(): void;
  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[] | null): void;
  onError(err: Error): void;
}

/** What dispatch takes: as undici's DispatchOptions, headers a flat [name, value, ...] list. */
export interface FrameRequestOptions {
  path: string;
  method: string;
  headers: string[];
  body: Buffer | null;
}

/** The longest response frame accepted (bytes): a replica's largest answer, with room for its headers. */
export const MAX_RESPONSE_FRAME_BYTES = 1024 ** 3 + FRAME_META_SLACK_BYTES;

export interface FramePoolOptions {
  connections: number;
  log?: Logger;
  /** The cluster token, sent in the hello frame of each TCP connection (none: an empty hello). */
  token?: string;
}

const noop = () => undefined;

export class FramePool {
  private readonly conns: FrameConn[] = [];
  private closed: Promise<void> | undefined;
  private destroyed = false;

  constructor(
    /** The replica's frame socket (an absolute path) or TCP frame address ("host:port"). */
    readonly target: string,
    private readonly o: FramePoolOptions,
  ) {}

  /** Sends one request; the handler hears of it as from undici (never synchronously failed). */
  dispatch(opts: FrameRequestOptions, handler: FrameHandler): boolean {
    if (this.closed !== undefined || this.destroyed) {
      queueMicrotask(() => handler.onError(new Error(`frame pool of ${this.target} is closed`)));
      return false;
    }
    this.pick().send(opts, handler);
    return true;
  }

  /** Sends nothing more; resolves once every request in flight has ended and the connections closed. */
  close(): Promise<void> {
    return (this.closed ??= Promise.all(this.conns.map((c) => c.endWhenIdle())).then(noop));
  }

  /** Fails every request in flight with `err` and closes the connections now. */
  destroy(err?: Error): Promise<void> {
    this.destroyed = true;
    const all = this.conns.map((c) => c.fail(err ?? new Error('frame pool destroyed')));
    return Promise.all(all).then(noop);
  }

  /** The connection with the fewest requests in flight; a new one while below `connections` and all are busy. */
  private pick(): FrameConn {
    let best: FrameConn | undefined;
    for (const c of this.conns) if (best === undefined || c.pending.size < best.pending.size) best = c;
    if (best !== undefined && (best.pending.size === 0 || this.conns.length >= this.o.connections)) return best;
    const c = new FrameConn(this.target, this.o, () => {
      const i = this.conns.indexOf(c);
      if (i !== -1) this.conns.splice(i, 1);
    });
    this.conns.push(c);
    return c;
  }
}

interface Pending {
  handler: FrameHandler;
  sent: boolean;
}

class FrameConn {
  readonly pending = new Map<number, Pending>();
  private readonly socket: net.Socket;
  private readonly decoder: FrameDecoder;
  private nextId = 1;
  private corked = false;
  private error: Error | undefined;
  private idle: (() => void) | undefined;
  private readonly gone: Promise<void>;

  private readonly log: Logger | undefined;

  constructor(
    private readonly target: string,
    o: FramePoolOptions,
    onGone: () => void,
  ) {
    this.log = o.log;
    this.decoder = new FrameDecoder({
      type: FrameType.response,
      maxFrameBytes: MAX_RESPONSE_FRAME_BYTES,
      onFrame: (f) => this.answer(f),
    });
    this.socket = connectFrames(target, o.token);
    this.socket.on('data', (chunk: Buffer) => {
      const bad = this.decoder.push(chunk);
      if (bad === null) return;
      this.log?.error('a replica broke the frame format: its connection is closed', {
        socket: target,
        error: bad.message,
      });
      this.socket.destroy(bad);
    });
    this.socket.on('error', (err) => (this.error ??= err));
    this.gone = new Promise((resolve) =>
      this.socket.once('close', () => {
        onGone();
        this.failAll(this.error ?? closedError(target));
        resolve();
      }),
    );
  }

  send(opts: FrameRequestOptions, handler: FrameHandler): void {
    const id = this.nextId;
    this.nextId = this.nextId === 0xffffffff ? 1 : this.nextId + 1;
    const body = opts.body;
    let head: Buffer;
    try {
      head = encodeRequestHead(id, opts.method, opts.path, opts.headers, body?.length ?? 0);
    } catch (err) {
      queueMicrotask(() => handler.onError(err as Error));
      return;
    }
    const p: Pending = { handler, sent: false };
    this.pending.set(id, p);
    handler.onConnect((err) => this.abort(id, err));
    if (!this.pending.has(id)) return; // aborted at once
    const sent = () => this.sent(id, p);
    // Requests dispatched in one tick leave in one write.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    if (body === null || body.length === 0) this.socket.write(head, sent);
    else {
      this.socket.write(head);
      this.socket.write(body, sent);
    }
  }

  endWhenIdle(): Promise<void> {
    if (this.pending.size === 0) this.socket.end();
    else this.idle = () => this.socket.end();
    return this.gone;
  }

  fail(err: Error): Promise<void> {
    this.failAll(err);
    this.socket.destroy();
    return this.gone;
  }

  private sent(id: number, p: Pending): void {
    if (p.sent || this.pending.get(id) !== p) return;
    p.sent = true;
    p.handler.onRequestSent();
  }

  private answer(f: Frame): void {
    if (f.id === 0) return this.refused(f.payload);
    const p = this.pending.get(f.id);
    if (p === undefined) return; // aborted: the replica answered anyway
    let res;
    try {
      res = decodeResponse(f.payload);
    } catch (err) {
      this.log?.error('a replica sent a malformed response frame: its connection is closed', {
        socket: this.target,
        error: (err as Error).message,
      });
      this.socket.destroy(err as Error);
      return;
    }
    this.sent(f.id, p);
    this.pending.delete(f.id);
    const h = p.handler;
    h.onHeaders(res.status, res.headers, noop, '');
    if (res.body.length > 0) h.onData(res.body);
    h.onComplete(null);
    if (this.pending.size === 0) this.idle?.();
  }

  /** A response frame of id 0: the replica refused the connection (a wrong token); everything on it fails. */
  private refused(payload: Buffer): void {
    let why: string;
    try {
      const res = decodeResponse(payload);
      why = `${res.status} ${res.body.toString('utf8').slice(0, 300)}`;
    } catch (err) {
      why = (err as Error).message;
    }
    const err = new Error(`the replica refused the frame connection (${this.target}): ${why}`);
    this.log?.error('a replica refused its frame connection', { socket: this.target, error: why });
    this.socket.destroy(err);
  }

  private abort(id: number, err: Error | undefined): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    p.handler.onError(err ?? new Error('request aborted'));
    if (this.pending.size === 0) this.idle?.();
  }

  private failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.handler.onError(err);
  }
}

function closedError(target: string): Error {
  return Object.assign(new Error(`the replica closed its frame connection (${target})`), { code: 'UND_ERR_SOCKET' });
}
