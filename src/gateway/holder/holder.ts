// The gateway's socket holder (gateway, data plane): a small process that owns the gateway's
// listening socket and runs the serving gateway (`serve gateway --listen-from-parent`) as its child,
// as Node's cluster primary does with its workers, so that the socket outlives every serving process.
// It binds the socket but never accepts on it (the serving process listens on the handle it gets
// over IPC), so while no serving process runs, the kernel queues new connections instead of
// refusing them. It relays the controller's stdin lines to its serving process and that one's
// events back, so the controller's protocol is the gateway's. A planned restart (SIGUSR2, or a
// `restart` control line) starts the new process on the same socket and waits until it listens
// before the old one hands over (answers what comes on its open connections, with
// `Connection: close`, and accepts nothing more). A serving process that dies is replaced at once by
// the standby: a second gateway process the holder keeps started (modules loaded, settings and replica
// sets read) but without the socket, so that taking over costs milliseconds, not a process start;
// a new standby then starts. The standby costs one idle process's memory. The holder also keeps a
// copy of every connection its serving process accepts (kept.ts, lend.ts): when that process is
// killed its connections stay open, and the one that serves next adopts them.
import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { ProcessEvent } from '../../common/wire.js';
import { KeptConnections } from './kept.js';
import { ServingProcess, type Listening } from './serving-process.js';
import { bindSocket } from './socket.js';

/** Wait before starting again after a serving process that died before it listened. */
const FAILED_START_BACKOFF_MS = 1000;
/** A standby that was sent this many control lines (it keeps them until it serves) is replaced by a fresh one. */
const STANDBY_MAX_LINES = 200;

export interface HolderOptions {
  /** The gateway's settings (the first stdin line's); `host` and `port` name the socket to hold. */
  settings: Record<string, unknown>;
  /** The CLI entry the serving processes run (`serve gateway`). */
  cliEntry: string;
  log: Logger;
  /** Prints an event on the holder's stdout (the controller reads them). */
  emit(e: ProcessEvent): void;
}

export class GatewayHolder {
  private serving: ServingProcess | undefined;
  private next: ServingProcess | undefined;
  private standby: ServingProcess | undefined;
  private readonly live = new Set<ServingProcess>();
  /** Copies of the serving processes' connections; those of `killed` go to the next one that serves. */
  private readonly kept = new KeptConnections<ServingProcess>();
  private readonly killed = new Set<ServingProcess>();
  private stopping = false;
  private settingsLine: string;
  private authLine: string | undefined;
  private replicasLine: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private standbyTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly o: HolderOptions,
    /** The bound socket: a TCP handle of net's, sent to each serving process. */
    private readonly socket: object,
  ) {
    this.settingsLine = JSON.stringify({ type: 'settings', settings: o.settings });
  }

  /** Binds the socket and starts the first serving process; resolves once it listens (rejects if it cannot). */
  static async start(o: HolderOptions): Promise<{ holder: GatewayHolder; listening: Listening }> {
    const host = typeof o.settings.host === 'string' ? o.settings.host : '127.0.0.1';
    const socket = await bindSocket(host, Number(o.settings.port ?? 0));
    const holder = new GatewayHolder(o, socket);
    const first = holder.spawn(true);
    const listening = await first.listening;
    if (!listening) {
      await first.exited;
      throw new UserError(first.fatal ?? 'the serving gateway process exited before it listened');
    }
    holder.serving = first;
    o.emit({ event: 'serving', pid: first.pid });
    holder.newStandby();
    return { holder, listening };
  }

  /** The serving process's pid (undefined while none serves). */
  get servingPid(): number | undefined {
    return this.serving?.pid;
  }

  /** A control line from the controller (JSON-parsed): `restart` is the holder's, the rest go to the gateway. */
  control(msg: unknown): void {
    const m = (typeof msg === 'object' && msg !== null ? msg : {}) as { type?: unknown; settings?: unknown };
    if (m.type === 'restart') {
      if (typeof m.settings === 'object' && m.settings !== null) {
        // The socket stays: a new host or port cannot take effect without a new holder.
        const { host, port } = this.o.settings;
        this.settingsLine = JSON.stringify({ type: 'settings', settings: { ...m.settings, host, port } });
      }
      return this.replace('planned');
    }
    const line = JSON.stringify(msg);
    if (m.type === 'auth') this.authLine = line;
    if (m.type === 'replicas') this.replicasLine = line;
    for (const s of [this.serving, this.next, this.standby]) if (s && !s.handingOver) s.write(line);
    if (this.standby && this.standby.lines > STANDBY_MAX_LINES) this.newStandby();
  }

  /**
   * A new serving process on the socket (a fresh one when planned, the standby after a crash); once
   * it listens it serves and the old one hands over.
   */
  replace(cause: 'planned' | 'crashed', reason?: string): void {
    if (this.stopping || this.next) return;
    clearTimeout(this.retryTimer);
    const standby = cause === 'crashed' ? this.standby : undefined;
    if (standby) this.standby = undefined;
    const s = standby ?? this.spawn(true);
    this.next = s;
    standby?.allow();
    this.o.log.info(
      `${standby ? 'the standby takes the socket' : 'starting a serving gateway process'} (${cause} restart)`,
      {
        pid: s.pid,
        ...(reason ? { reason } : {}),
      },
    );
    void s.listening.then((where) => {
      if (this.next !== s) return;
      this.next = undefined;
      if (!where) {
        const why = s.fatal ?? 'it exited before it listened';
        if (this.serving)
          return this.o.log.error('the new gateway process did not start; the old one serves on', { error: why });
        this.o.log.error(`the new gateway process did not start; trying again in ${FAILED_START_BACKOFF_MS}ms`, {
          error: why,
        });
        this.retryTimer = setTimeout(() => this.replace('crashed', why), FAILED_START_BACKOFF_MS);
        return;
      }
      const old = this.serving;
      this.serving = s;
      for (const dead of this.killed) {
        const given = this.kept.pass(dead, s, (id, handle) => s.adopt(id, handle));
        if (given > 0) this.o.log.info(`the new gateway process adopts ${given} connections of the killed one`);
      }
      this.killed.clear();
      this.o.emit({ event: 'serving', pid: s.pid, cause: old ? cause : 'crashed', ...(reason ? { reason } : {}) });
      if (old) {
        this.o.log.info('the old gateway process hands over', { pid: old.pid });
        // It answers and closes its connections itself: a copy kept here would only delay each close.
        this.kept.drop(old);
        old.handOver();
      }
      // The standby has the settings and the build of its start: after a planned restart, a new one.
      if (!this.standby || cause === 'planned') this.newStandby();
    });
  }

  /** SIGHUP: the serving process reloads its TLS certificate. */
  reload(): void {
    this.serving?.kill('SIGHUP');
  }

  /** Every serving process drains as the gateway does when its controller goes (stdin EOF); resolves once all exited. */
  async drain(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.standbyTimer);
    // A standby holds neither the socket nor a connection.
    this.standby?.kill('SIGKILL');
    this.kept.drop();
    for (const s of this.live) s.endStdin();
    await Promise.all([...this.live].map((s) => s.exited));
    this.kept.drop(); // any lent while draining
  }

  /** Kills every serving process now. */
  async close(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.standbyTimer);
    for (const s of this.live) s.kill('SIGKILL');
    await Promise.all([...this.live].map((s) => s.exited));
    this.kept.drop();
  }

  /** Replaces the standby (if any) by a fresh one. */
  private newStandby(): void {
    clearTimeout(this.standbyTimer);
    if (this.stopping) return;
    this.standby?.kill('SIGKILL');
    const s = this.spawn(false);
    this.standby = s;
    void s.exited.then((how) => {
      if (this.standby !== s || this.stopping) return;
      this.standby = undefined;
      this.o.log.warn(`the standby gateway process ${how}; another in ${FAILED_START_BACKOFF_MS}ms`, { pid: s.pid });
      this.standbyTimer = setTimeout(() => this.newStandby(), FAILED_START_BACKOFF_MS);
    });
  }

  private spawn(mayListen: boolean): ServingProcess {
    const s = new ServingProcess({
      cliEntry: this.o.cliEntry,
      socket: this.socket,
      mayListen,
      lines: [this.settingsLine, this.authLine, this.replicasLine].filter((l): l is string => l !== undefined),
      log: this.o.log,
      onApplied: (e) => this.o.emit(e),
      kept: this.kept,
    });
    this.live.add(s);
    void s.exited.then((how) => {
      this.live.delete(s);
      // One that handed over answered and closed its connections; one that never served had none.
      if (s !== this.serving || this.stopping) return this.kept.drop(s);
      this.serving = undefined;
      this.killed.add(s);
      this.o.log.warn(`the serving gateway process ${how}; another takes the socket`, { pid: s.pid });
      this.replace('crashed', `pid ${s.pid} ${how}`);
    });
    return s;
  }
}
