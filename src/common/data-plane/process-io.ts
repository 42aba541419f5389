// Stdin, stdout and signals of a data-plane process (common, data plane): the settings line, control
// lines, events on stdout, and the first reason to stop. With a control socket (`survive`) the
// controller's pipes may close without stopping the process: a new controller reconnects on the socket.
import readline from 'node:readline';
import { every, type Clock } from '../clock.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ProcessEvent } from '../wire.js';

export interface ProcessIoOptions {
  /** Drain and exit when stdin ends (ignored with `survive`). */
  exitWithParent: boolean;
  /** A control socket serves on: stdin EOF and a broken stdout stop nothing (one log line). */
  survive: boolean;
  /** Stdin ended (any mode). */
  onStdinClosed?(): void;
  /** Every event emitted, besides stdout (the control socket's fan-out). */
  onEmit?(e: ProcessEvent): void;
}

/** Stdin, stdout and signals of this process, and the first reason to stop. */
export class ProcessIo {
  /** Resolves with the first reason to stop (a signal, stdin EOF, a broken stdout). */
  readonly stopped: Promise<string>;
  /** Stops (drains) for `why`; later calls change nothing. */
  stop!: (why: string) => void;
  private onControl: ((msg: unknown) => void) | undefined;
  private stdoutBroken = false;
  private parentGoneLogged = false;
  private readonly rl: readline.Interface;
  private pendingLines: string[] = [];
  /** Control-socket lines that came before the server could take them. */
  private pendingControl: string[] = [];
  private lineWaiter: ((line: string | undefined) => void) | undefined;
  private ended = false;
  /** Set by watchStdin: the clock that times stdin lines, and when the last one came. */
  private watchClock: Clock | undefined;
  private lastLineAtMs = 0;
  private idleMs = 0;
  /** Controllers connected on the control socket (a controller there counts as one on stdin). */
  private socketClients = 0;
  private stopWatch: (() => void) | undefined;
  private readonly onSigterm = () => this.stop('SIGTERM');
  private readonly onSigint = () => this.stop('SIGINT');
  /** Node's default for SIGHUP is to exit: a handler from the first moment keeps the process alive. */
  private onSighup = () => this.log.info('SIGHUP: nothing to reload while starting');
  private readonly onStdoutError = (err: NodeJS.ErrnoException) => {
    // The controller's end of the pipe is gone: finish accepted work, as for stdin EOF.
    this.stdoutBroken = true;
    if (this.o.survive) this.parentGone(`stdout closed (${err.code ?? 'error'})`);
    else this.stop(`stdout closed (${err.code ?? 'error'})`);
  };
  private readonly onStderrError = () => undefined;

  constructor(
    private readonly log: Logger,
    private readonly o: ProcessIoOptions,
    /** How the orphan timeout reads in the log line when the controller's pipes close. */
    private readonly orphanText = 'no orphan timeout',
  ) {
    this.stopped = new Promise((resolve) => (this.stop = resolve));
    process.once('SIGTERM', this.onSigterm);
    process.once('SIGINT', this.onSigint);
    process.on('SIGHUP', this.hup);
    // Replace the CLI's "exit on EPIPE": a data-plane child must drain instead.
    process.stdout.removeAllListeners('error');
    process.stdout.on('error', this.onStdoutError);
    process.stderr.on('error', this.onStderrError);
    this.rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    this.rl.on('line', (line) => this.onLine(line));
    this.rl.on('close', () => {
      this.ended = true;
      this.lineWaiter?.(undefined);
      o.onStdinClosed?.();
      if (o.survive) {
        this.parentGone('stdin closed');
        if (this.socketClients === 0) this.controllerLeft();
      } else if (o.exitWithParent) this.stop('stdin closed (the controller is gone)');
    });
  }

  /** With a control socket: the controller's pipe closed; say so once and serve on. */
  private parentGone(what: string): void {
    if (this.parentGoneLogged) return;
    this.parentGoneLogged = true;
    this.log.info(
      `the controller's pipe closed (${what}); serving on, a controller may reconnect on the control socket ` +
        `(${this.orphanText})`,
    );
  }

  /**
   * Stops (drains) once no line has arrived for `idleMs`, counted from now, while a controller is
   * there. With `survive`, once none is (stdin closed, no one on the socket) the orphan timeout rules
   * instead, unless the last line was already too long ago (the controller was cut off before its
   * connection closed); a controller that connects again gets the whole `idleMs` anew.
   */
  watchStdin(idleMs: number, clock: Clock): void {
    this.watchClock = clock;
    this.idleMs = idleMs;
    this.lastLineAtMs = clock.nowMs();
    const periodMs = Math.max(50, Math.min(1000, idleMs / 4));
    this.stopWatch = every(
      clock,
      periodMs,
      () => {
        if (this.o.survive && this.ended && this.socketClients === 0) return;
        if (clock.nowMs() - this.lastLineAtMs > idleMs)
          this.stop(`no line on stdin for ${idleMs}ms (the controller is unreachable)`);
      },
      { unref: true },
    );
  }

  /** The number of controllers connected on the control socket changed. */
  setSocketClients(n: number): void {
    const was = this.socketClients;
    this.socketClients = n;
    if (was === 0 && n > 0 && this.watchClock) this.lastLineAtMs = this.watchClock.nowMs();
    if (n === 0 && this.ended) this.controllerLeft();
  }

  /** The last controller went away: a deadline that had already passed stops it now. */
  private controllerLeft(): void {
    const clock = this.watchClock;
    if (clock && clock.nowMs() - this.lastLineAtMs > this.idleMs)
      this.stop(`no line for ${this.idleMs}ms before the controller's connection closed (it was cut off)`);
  }

  private readonly hup = () => this.onSighup();

  /** From now on SIGHUP reloads `server` (or logs why there is nothing to reload). */
  setReload(server: { reload?(): Promise<void>; nothingToReload?: string }): void {
    this.onSighup = () => {
      if (server.reload) void server.reload();
      else
        this.log.info(`SIGHUP: nothing to reload` + `${server.nothingToReload ? ` (${server.nothingToReload})` : ''}`);
    };
  }

  /** Starts handing control lines to `fn`, those that came early first. */
  setControl(fn: (msg: unknown) => void): void {
    this.onControl = fn;
    for (const line of this.pendingLines.splice(0)) this.onLine(line);
    for (const line of this.pendingControl.splice(0)) this.controlLine(line);
  }

  /** A line from the control socket: a control line as from stdin, never the settings. */
  controlLine(line: string): void {
    if (this.watchClock) this.lastLineAtMs = this.watchClock.nowMs();
    if (line.trim() === '') return;
    if (!this.onControl) return void this.pendingControl.push(line);
    this.dispatch(line);
  }

  emit(event: ProcessEvent): void {
    this.o.onEmit?.(event);
    if (this.stdoutBroken || !process.stdout.writable) return;
    process.stdout.write(JSON.stringify(event) + '\n');
  }

  /** The settings object of the first stdin line. */
  async settings(): Promise<Record<string, unknown>> {
    const line =
      this.pendingLines.shift() ??
      (this.ended ? undefined : await new Promise<string | undefined>((r) => (this.lineWaiter = r)));
    this.lineWaiter = undefined;
    if (line === undefined)
      throw new UserError('stdin ended before the settings line ({"type":"settings","settings":{...}})');
    let msg: { type?: unknown; settings?: unknown };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      throw new UserError('the first stdin line is not JSON: expected {"type":"settings","settings":{...}}');
    }
    if (msg?.type !== 'settings' || typeof msg.settings !== 'object' || msg.settings === null) {
      throw new UserError('the first stdin line must be {"type":"settings","settings":{...}}');
    }
    return msg.settings as Record<string, unknown>;
  }

  private onLine(line: string): void {
    if (this.watchClock) this.lastLineAtMs = this.watchClock.nowMs();
    if (line.trim() === '') return;
    const waiter = this.lineWaiter;
    if (waiter) {
      this.lineWaiter = undefined;
      return waiter(line);
    }
    if (!this.onControl) {
      this.pendingLines.push(line);
      return;
    }
    this.dispatch(line);
  }

  private dispatch(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.log.warn('bad control line ignored: not JSON', { line: line.slice(0, 200) });
      return;
    }
    this.onControl?.(msg);
  }

  dispose(): void {
    this.stopWatch?.();
    process.off('SIGTERM', this.onSigterm);
    process.off('SIGINT', this.onSigint);
    process.off('SIGHUP', this.hup);
    this.rl.close();
    process.stdin.destroy();
  }
}
