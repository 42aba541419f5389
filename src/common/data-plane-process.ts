// The one process wrapper of the data plane (common): a replica or gateway process prints its
// events on stdout, reads its settings and control lines on stdin, drains on SIGTERM/SIGINT, on
// stdin EOF (the controller is gone) and on a broken stdout pipe, within a drain timeout, and exits
// non-zero at once when it cannot start. SIGHUP never stops it: it reloads what the server can
// reload, or logs that there is nothing to. `serve replica` and `serve gateway` only parse flags.
import readline from 'node:readline';
import { systemClock, delay, every, type Clock } from './clock.js';
import { UserError, errorMessage } from './errors.js';
import type { Logger } from './log.js';
import type { ProcessEvent } from './wire.js';

/** A started data-plane server as the wrapper drives it. */
export interface DataPlaneServer {
  listening: { host: string; port: number; url: string };
  /** How long a drain may take before the process closes with work outstanding (exit 1). */
  drainTimeoutMs: number;
  /** Resolves with the ready event's fields once it can serve; rejects if it never can. None: ready once listening. */
  ready?: Promise<{ loadMs?: number; device?: string; fallbackReason?: string; modelDigest?: string }>;
  /** Stops accepting work and resolves once everything accepted is answered. */
  drain(): Promise<void>;
  /** Closes now (work still queued is refused). */
  close(): Promise<void>;
  /**
   * Drain when no stdin line arrives for this long (ms; 0 or absent: never): a replica on an SSH
   * host whose controller is cut off stops, since its stdin only ends once sshd notices.
   */
  stdinIdleTimeoutMs?: number;
  /** A control line from stdin after the settings (already JSON-parsed); `emit` answers on stdout. */
  control?(message: unknown, emit: (e: ProcessEvent) => void): void;
  /**
   * SIGHUP: reload what can be reloaded, logging the outcome itself (never throws). Absent: the
   * wrapper logs `nothingToReload`.
   */
  reload?(): Promise<void>;
  /** Why a SIGHUP changes nothing in this server (logged when `reload` is absent). */
  nothingToReload?: string;
}

export interface DataPlaneProcessOptions {
  log: Logger;
  /** Drain and exit when stdin ends. */
  exitWithParent: boolean;
  /** Wait for `{"type":"settings",...}` as the first stdin line and pass its settings to `start` (`emit` prints an event). */
  settingsFromStdin: boolean;
  start(settings: Record<string, unknown> | undefined, emit: (e: ProcessEvent) => void): Promise<DataPlaneServer>;
  clock?: Clock;
}

/** Exit codes of a data-plane process (documented with `serve replica --help`). */
export const DataPlaneExit = { Ok: 0, DrainTimedOut: 1 } as const;

/**
 * Runs a data-plane server until it is told to stop; resolves with the exit code once it has
 * drained (or could not start). Everything it installed is removed before it resolves, and an
 * unref'd timer ends the process shortly after if a stray handle would keep it alive.
 */
export async function runDataPlaneProcess(o: DataPlaneProcessOptions): Promise<number> {
  const io = new ProcessIo(o.log, o.exitWithParent);
  try {
    const settings = o.settingsFromStdin
      ? await Promise.race([
          io.settings(),
          io.stopped.then((why): never => {
            throw new UserError(`stopped (${why}) before the settings arrived`);
          }),
        ])
      : undefined;
    let server: DataPlaneServer;
    try {
      server = await o.start(settings, (e) => io.emit(e));
    } catch (err) {
      io.emit({ event: 'fatal', error: errorMessage(err) });
      throw err;
    }
    io.emit({ event: 'listening', ...server.listening });
    io.setReload(server);
    io.setControl((msg) => server.control?.(msg, (e) => io.emit(e)));
    if (server.stdinIdleTimeoutMs) io.watchStdin(server.stdinIdleTimeoutMs, o.clock ?? systemClock);
    const ready = server.ready ?? Promise.resolve(undefined);
    const first = await Promise.race([ready.then((info) => ({ info })), io.stopped.then((why) => ({ why }))]).catch(
      async (err: unknown) => {
        io.emit({ event: 'fatal', error: errorMessage(err) });
        await server.close().catch(() => undefined);
        throw err;
      },
    );
    if ('info' in first && first.info) io.emit({ event: 'ready', ...first.info });
    const why = 'why' in first ? first.why : await io.stopped;
    o.log.info(`stopping on ${why}`);
    return await drainWithin(server, io, o.clock ?? systemClock, o.log);
  } finally {
    io.dispose();
    setTimeout(() => process.exit(), 500).unref();
  }
}

async function drainWithin(server: DataPlaneServer, io: ProcessIo, clock: Clock, log: Logger): Promise<number> {
  const { drainTimeoutMs } = server;
  io.emit({ event: 'draining' });
  const gaveUp = new AbortController();
  const drained = await Promise.race([
    server.drain().then(() => true),
    delay(clock, drainTimeoutMs, gaveUp.signal).then(() => false),
  ]);
  gaveUp.abort();
  if (drained) return DataPlaneExit.Ok;
  log.warn(`drain did not finish within ${drainTimeoutMs}ms; closing with work outstanding`);
  // close() during a stuck drain may itself wait on it: leave anyway after a moment.
  const closed = new AbortController();
  await Promise.race([server.close().catch(() => undefined), delay(clock, 1000, closed.signal)]);
  closed.abort();
  return DataPlaneExit.DrainTimedOut;
}

/** Stdin, stdout and signals of this process, and the first reason to stop. */
class ProcessIo {
  /** Resolves with the first reason to stop (a signal, stdin EOF, a broken stdout). */
  readonly stopped: Promise<string>;
  private onControl: ((msg: unknown) => void) | undefined;
  private stop!: (why: string) => void;
  private stdoutBroken = false;
  private readonly rl: readline.Interface;
  private pendingLines: string[] = [];
  private lineWaiter: ((line: string | undefined) => void) | undefined;
  private ended = false;
  /** Set by watchStdin: the clock that times stdin lines, and when the last one came. */
  private watchClock: Clock | undefined;
  private lastLineAtMs = 0;
  private stopWatch: (() => void) | undefined;
  private readonly onSigterm = () => this.stop('SIGTERM');
  private readonly onSigint = () => this.stop('SIGINT');
  /** Node's default for SIGHUP is to exit: a handler from the first moment keeps the process alive. */
  private onSighup = () => this.log.info('SIGHUP: nothing to reload while starting');
  private readonly onStdoutError = (err: NodeJS.ErrnoException) => {
    // The controller's end of the pipe is gone: finish accepted work, as for stdin EOF.
    this.stdoutBroken = true;
    this.stop(`stdout closed (${err.code ?? 'error'})`);
  };
  private readonly onStderrError = () => undefined;

  constructor(
    private readonly log: Logger,
    exitWithParent: boolean,
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
      if (exitWithParent) this.stop('stdin closed (the controller is gone)');
    });
  }

  /** Stops (drains) once no stdin line has arrived for `idleMs`, counted from now. */
  watchStdin(idleMs: number, clock: Clock): void {
    this.watchClock = clock;
    this.lastLineAtMs = clock.nowMs();
    const periodMs = Math.max(50, Math.min(1000, idleMs / 4));
    this.stopWatch = every(
      clock,
      periodMs,
      () => {
        if (clock.nowMs() - this.lastLineAtMs > idleMs)
          this.stop(`no line on stdin for ${idleMs}ms (the controller is unreachable)`);
      },
      { unref: true },
    );
  }

  private readonly hup = () => this.onSighup();

  /** From now on SIGHUP reloads `server` (or logs why there is nothing to reload). */
  setReload(server: Pick<DataPlaneServer, 'reload' | 'nothingToReload'>): void {
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
  }

  emit(event: ProcessEvent): void {
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
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.log.warn('bad control line ignored: not JSON', { line: line.slice(0, 200) });
      return;
    }
    this.onControl(msg);
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
