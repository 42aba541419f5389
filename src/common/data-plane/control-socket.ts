// The control socket of a data-plane process (common, data plane): a unix socket that a controller,
// today's or a new one after the old died, connects to. Each connection first gets a `hello` with what
// the process is now, then every later event; each line a client writes is a control line, as if it
// came on stdin. The orphan timer ends a process that no controller has talked to for a while; a
// process whose socket file is gone (its state directory removed) ends too: nobody can reach it.
import { lstatSync } from 'node:fs';
import net from 'node:net';
import { every, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { HelloEvent, ProcessEvent } from '../wire.js';
import { listenPrivate, removeSocketFile } from './unix-listen.js';

/** The longest orphan timeout (ms): a week (`--orphan-timeout`, `controller.orphan_timeout`). */
export const MAX_ORPHAN_TIMEOUT_MS = 7 * 24 * 3_600_000;

export interface ControlSocketOptions {
  /** The socket's path (a stale socket there is replaced; anything else is an error). */
  path: string;
  log: Logger;
  /** The snapshot each new connection gets first. */
  hello(): HelloEvent;
  /** A line a client wrote (not yet parsed). */
  onLine(line: string): void;
  /** The number of connected clients changed. */
  onClients?(clients: number): void;
}

/** A listening control socket: mode 0600, removed by `close`. */
export class ControlSocket {
  private readonly conns = new Set<net.Socket>();
  /** The inode of the socket file this process bound (a file of the same name bound by another is not it). */
  private ino: number | undefined;

  private constructor(
    private readonly o: ControlSocketOptions,
    private readonly server: net.Server,
  ) {}

  /** Listens on `o.path`; rejects with a UserError when the path is taken or cannot be bound. */
  static async listen(o: ControlSocketOptions): Promise<ControlSocket> {
    const server = net.createServer();
    const cs = new ControlSocket(o, server);
    server.on('connection', (c) => cs.accept(c));
    await listenPrivate(server, o.path, '--control-socket');
    server.on('error', (err) => o.log.error('control socket error', { error: err.message }));
    cs.ino = lstatSync(o.path).ino;
    return cs;
  }

  /**
   * Calls `onGone` once, checked every `periodMs` on `clock`, when no client is connected and the
   * socket file is no longer the one this process bound (removed, say with its state directory, or
   * replaced): no controller can ever reach the process again, so nobody would adopt or stop it.
   * Returns the stop of the watch.
   */
  watchFile(clock: Clock, periodMs: number, onGone: () => void): () => void {
    let fired = false;
    return every(
      clock,
      periodMs,
      () => {
        if (fired || this.conns.size > 0 || this.ownFile()) return;
        fired = true;
        onGone();
      },
      { unref: true },
    );
  }

  private ownFile(): boolean {
    try {
      return lstatSync(this.o.path).ino === this.ino;
    } catch {
      return false;
    }
  }

  /** Connected clients now. */
  get clients(): number {
    return this.conns.size;
  }

  /** Writes `event` as one JSON line to every connected client. */
  send(event: ProcessEvent): void {
    const line = JSON.stringify(event) + '\n';
    for (const c of this.conns) if (c.writable) c.write(line);
  }

  /** Stops listening, closes every connection and removes the socket file. */
  close(): void {
    this.server.close();
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    removeSocketFile(this.o.path);
  }

  private accept(c: net.Socket): void {
    this.conns.add(c);
    c.on('error', () => undefined);
    c.write(JSON.stringify(this.o.hello()) + '\n');
    this.o.log.info('a controller connected to the control socket', { clients: this.conns.size });
    this.o.onClients?.(this.conns.size);
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        this.o.onLine(line);
      }
    });
    c.once('close', () => {
      if (!this.conns.delete(c)) return;
      this.o.log.info('a controller left the control socket', { clients: this.conns.size });
      this.o.onClients?.(this.conns.size);
    });
  }
}

/**
 * Calls `onOrphaned` once no client has been connected and stdin has been closed for `timeoutMs`
 * (on `clock`); a connection resets it.
 */
export class OrphanTimer {
  private clients = 0;
  private stdinClosed = false;
  private timer: TimerHandle | undefined;
  private fired = false;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onOrphaned: () => void,
  ) {}

  setClients(n: number): void {
    this.clients = n;
    this.update();
  }

  setStdinClosed(): void {
    this.stdinClosed = true;
    this.update();
  }

  stop(): void {
    this.fired = true;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private update(): void {
    const alone = this.clients === 0 && this.stdinClosed;
    if (!alone || this.fired) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
      return;
    }
    this.timer ??= this.clock.setTimer(
      () => {
        this.fired = true;
        this.onOrphaned();
      },
      this.timeoutMs,
      { unref: true },
    );
  }
}

/** What a `hello` says, kept up to date from the events the process emits. */
export class HelloState {
  private listening: HelloEvent['listening'] = null;
  private ready: HelloEvent['ready'] = null;
  private draining = false;
  private servingPid: number | undefined;

  constructor(private readonly role: HelloEvent['role']) {}

  /** Notes what `e` changes. */
  see(e: ProcessEvent): void {
    if (e.event === 'listening') this.listening = { host: e.host, port: e.port, url: e.url };
    else if (e.event === 'ready') this.ready = dropEvent(e);
    else if (e.event === 'draining') this.draining = true;
    else if (e.event === 'serving') this.servingPid = e.pid;
  }

  /** It serves (a process without a ready event: once listening). */
  markReady(): void {
    this.ready ??= {};
  }

  hello(): HelloEvent {
    return {
      event: 'hello',
      role: this.role,
      pid: process.pid,
      listening: this.listening,
      ready: this.ready,
      draining: this.draining,
      ...(this.servingPid !== undefined ? { servingPid: this.servingPid } : {}),
    };
  }
}

function dropEvent<E extends { event: string }>(e: E): Omit<E, 'event'> {
  const { event: _event, ...rest } = e;
  return rest;
}
