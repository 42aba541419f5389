// A lean HTTP/1.1 connection pool for infer requests (loadtest): raw `net` sockets, keep-alive,
// one request in flight per connection, prebuilt request bytes, a total time limit per request.
import net from 'node:net';
import tls from 'node:tls';
import { Connection, lost, type Http1Callback, type Http1Response, type Pending } from './connection.js';

/**
 * Up to `connections` keep-alive sockets to one host. Requests that find every socket busy wait in
 * a FIFO queue. Each request's `timeoutMs` runs from `request()` (connecting, queueing, waiting and
 * reading all count); a request past it ends as `timeout` and its socket is destroyed, since the
 * answer may still arrive on it. Deadlines are checked by one sweep timer, not a timer per request.
 */
export class Http1Pool {
  private readonly all = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private readonly queue: Pending[] = [];
  private queueHead = 0;
  private readonly sweep: NodeJS.Timeout;
  private destroyed = false;
  /**
   * Every socket reads into this one buffer (onread): no Buffer and no stream 'data' event per read.
   * Safe because a read is parsed before the next can land; kept body bytes are copied out.
   */
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly opts: { connections: number; timeoutMs: number; tls?: boolean; ca?: string },
  ) {
    // A twentieth of the limit (1..100 ms): a timeout fires at most 5% (or 100 ms) late.
    const sweepMs = Math.min(100, Math.max(1, Math.floor(opts.timeoutMs / 20)));
    this.sweep = setInterval(() => this.expire(performance.now()), sweepMs);
    this.sweep.unref();
  }

  /**
   * Sends `bytes` (a whole request) on a free socket, a new one, or after those queued before it;
   * `callback` runs exactly once (synchronously only when the pool is already destroyed).
   */
  request(bytes: Buffer, keepBody: boolean, callback: Http1Callback): void {
    if (this.destroyed) return callback(undefined, 'connection');
    const p: Pending = { bytes, keepBody, deadlineMs: performance.now() + this.opts.timeoutMs, callback };
    const conn = this.takeIdle(p.deadlineMs - this.opts.timeoutMs);
    if (conn) return this.assign(conn, p);
    if (this.all.size < this.opts.connections) return this.assign(this.open(), p);
    this.queue.push(p);
  }

  /** Number of open sockets (for tests). */
  get size(): number {
    return this.all.size;
  }

  /** Closes every socket; requests in flight or queued end as `connection`. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearInterval(this.sweep);
    for (const c of [...this.all]) this.drop(c, 'connection');
    for (const p of this.queue.splice(this.queueHead)) p.callback(undefined, 'connection');
    this.queueHead = 0;
  }

  /** An idle socket still worth reusing, most recently used first (warm caches, fewer sockets). */
  private takeIdle(nowMs: number): Connection | undefined {
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (!c.closed && nowMs < c.reuseUntilMs) return c;
      // The server may already be closing it: a request written now could be lost.
      this.drop(c, undefined);
    }
    return undefined;
  }

  private open(): Connection {
    let conn: Connection | undefined;
    const socket = this.opts.tls
      ? this.openTls((chunk) => this.onData(conn!, chunk))
      : net.connect({
          host: this.host,
          port: this.port,
          noDelay: true,
          onread: {
            buffer: this.readBuffer,
            callback: (n: number, buf: Uint8Array) => {
              this.onData(conn!, (buf as Buffer).subarray(0, n));
              return true;
            },
          },
        });
    conn = new Connection(socket);
    this.all.add(conn);
    socket.once(this.opts.tls ? 'secureConnect' : 'connect', () => (conn.connected = true));
    socket.on('end', () => {
      if (conn.current && conn.parser.finishAtEof()) this.complete(conn);
      this.drop(conn, lost(conn));
    });
    socket.on('error', () => this.drop(conn, lost(conn)));
    socket.on('close', () => this.drop(conn, lost(conn)));
    return conn;
  }

  /** https: a TLS socket read through 'data' events (onread does not apply to TLS). */
  private openTls(onData: (chunk: Buffer) => void): net.Socket {
    const socket = tls.connect({
      host: this.host,
      port: this.port,
      ALPNProtocols: ['http/1.1'],
      servername: net.isIP(this.host) ? undefined : this.host,
      // --ca: trust this CA (as curl --cacert does) instead of the system's.
      ...(this.opts.ca === undefined ? {} : { ca: this.opts.ca }),
    });
    socket.setNoDelay(true);
    socket.on('data', onData);
    return socket;
  }

  private assign(conn: Connection, p: Pending): void {
    conn.current = p;
    conn.parser.reset(p.keepBody);
    conn.socket.write(p.bytes);
  }

  private onData(conn: Connection, chunk: Buffer): void {
    if (!conn.current) return this.drop(conn, undefined); // bytes nobody asked for
    const step = conn.parser.execute(chunk);
    if ('error' in step) return this.drop(conn, 'bad_response');
    if (!step.done) return;
    // No pipelining: anything after the response is a protocol error.
    if (step.used !== chunk.length) return this.drop(conn, 'bad_response');
    this.complete(conn);
  }

  /** The response on `conn` is complete: hand it over and reuse, close or refill the socket. */
  private complete(conn: Connection): void {
    const p = conn.current!;
    const parser = conn.parser;
    conn.current = undefined;
    const status = parser.statusCode;
    const ok = status >= 200 && status < 300;
    const body =
      p.keepBody && ok ? (parser.body.length === 1 ? parser.body[0] : Buffer.concat(parser.body)) : undefined;
    const response: Http1Response = {
      status,
      binaryHeaderLength: parser.binaryHeaderLength,
      body,
      inferenceShaped: parser.probe!.passed,
      modelVersion: parser.modelVersion,
    };
    if (!parser.keepAlive || this.destroyed) this.drop(conn, undefined);
    else {
      if (parser.keepAliveTimeoutMs !== undefined) {
        // Stop reusing a second before the server's idle limit, as undici does.
        conn.reuseUntilMs = performance.now() + Math.max(parser.keepAliveTimeoutMs - 1000, 0);
      }
      this.release(conn);
    }
    p.callback(response, undefined);
  }

  /** A socket came free: the next queued request takes it, else it waits idle. */
  private release(conn: Connection): void {
    const next = this.dequeue();
    if (next) this.assign(conn, next);
    else this.idle.push(conn);
  }

  private dequeue(): Pending | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const p = this.queue[this.queueHead++]!;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return p;
  }

  /** Closes `conn`; its request (if any) ends as `errorClass`; a queued request gets a new socket. */
  private drop(conn: Connection, errorClass: string | undefined): void {
    if (conn.closed) return;
    conn.closed = true;
    this.all.delete(conn);
    conn.socket.destroy();
    const p = conn.current;
    conn.current = undefined;
    if (p) p.callback(undefined, errorClass ?? 'connection');
    if (!this.destroyed && this.queueHead < this.queue.length && this.all.size < this.opts.connections) {
      this.assign(this.open(), this.dequeue()!);
    }
  }

  /** Ends every request past its deadline as `timeout` (`connection` if its socket is still connecting). */
  private expire(nowMs: number): void {
    for (const c of this.all) {
      if (c.current && c.current.deadlineMs <= nowMs) this.drop(c, c.connected ? 'timeout' : 'connection');
    }
    // Deadlines in the queue are in arrival order.
    while (this.queueHead < this.queue.length && this.queue[this.queueHead]!.deadlineMs <= nowMs) {
      this.dequeue()!.callback(undefined, 'timeout');
    }
  }
}
