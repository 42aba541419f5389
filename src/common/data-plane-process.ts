// The one process wrapper of the data plane (common): a replica or gateway process prints its
// events on stdout, reads its settings and control lines on stdin, drains on SIGTERM/SIGINT, on
// stdin EOF (the controller is gone) and on a broken stdout pipe, within a drain timeout, and exits
// non-zero at once when it cannot start. SIGHUP never stops it: it reloads what the server can
// reload, or logs that there is nothing to. With a control socket (data-plane/control-socket.ts) the events
// also go to every controller connected there and its lines are control lines; the controller's
// pipes closing then stops nothing, and only the orphan timeout ends a process left alone.
// `serve replica` and `serve gateway` only parse flags.
import { systemClock, delay, type Clock } from './clock.js';
import { ControlSocket, HelloState, OrphanTimer } from './data-plane/control-socket.js';
import { UserError, errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { ProcessIo } from './data-plane/process-io.js';
import type { HelloEvent, ListenAddress, ProcessEvent, ReadyFields } from './wire.js';

/** A started data-plane server as the wrapper drives it. */
export interface DataPlaneServer {
  listening: ListenAddress;
  /** How long a drain may take before the process closes with work outstanding (exit 1). */
  drainTimeoutMs: number;
  /** Resolves with the ready event's fields once it can serve; rejects if it never can. None: ready once listening. */
  ready?: Promise<ReadyFields>;
  /** Stops accepting work and resolves once everything accepted is answered. */
  drain(): Promise<void>;
  /** Closes now (work still queued is refused). */
  close(): Promise<void>;
  /**
   * Drain when no line (stdin or control socket) arrives for this long while a controller is
   * connected (ms; 0 or absent: never): a replica on an SSH host whose controller is cut off stops,
   * since its stdin only ends once sshd notices. With no controller, the orphan timeout rules.
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
  /** What its control socket's `hello` says it is. */
  role: HelloEvent['role'];
  /** Drain and exit when stdin ends (not with a control socket). */
  exitWithParent: boolean;
  /** Listen on this unix socket for controllers (`--control-socket`); stdin EOF then stops nothing. */
  controlSocket?: string;
  /** Drain and exit once stdin is closed and no controller has been connected for this long (ms; 0: never). */
  orphanTimeoutMs?: number;
  /** Wait for `{"type":"settings",...}` as the first stdin line and pass its settings to `start` (`emit` prints an event). */
  settingsFromStdin: boolean;
  start(settings: Record<string, unknown> | undefined, emit: (e: ProcessEvent) => void): Promise<DataPlaneServer>;
  clock?: Clock;
}

/** Exit codes of a data-plane process (documented with `serve replica --help`). */
export const DataPlaneExit = { Ok: 0, DrainTimedOut: 1 } as const;

/** How often a process with a control socket checks that its socket file is still its own. */
const SOCKET_CHECK_MS = 1000;

/**
 * Runs a data-plane server until it is told to stop; resolves with the exit code once it has
 * drained (or could not start). Everything it installed is removed before it resolves, and an
 * unref'd timer ends the process shortly after if a stray handle would keep it alive.
 */
export async function runDataPlaneProcess(o: DataPlaneProcessOptions): Promise<number> {
  const clock = o.clock ?? systemClock;
  const hello = new HelloState(o.role);
  const orphanMs = o.orphanTimeoutMs ?? 0;
  let socket: ControlSocket | undefined;
  let stopWatch: (() => void) | undefined;
  const orphan =
    orphanMs > 0
      ? new OrphanTimer(clock, orphanMs, () => io.stop(`no controller for ${orphanMs}ms (--orphan-timeout)`))
      : undefined;
  const io = new ProcessIo(
    o.log,
    {
      exitWithParent: o.exitWithParent,
      survive: o.controlSocket !== undefined,
      onStdinClosed: () => orphan?.setStdinClosed(),
      onEmit: (e) => (hello.see(e), socket?.send(e)),
    },
    orphanMs > 0 ? `orphan timeout ${orphanMs}ms` : 'no orphan timeout',
  );
  try {
    if (o.controlSocket !== undefined) {
      socket = await listenControl(o.controlSocket, o.log, io, hello, orphan);
      stopWatch = socket.watchFile(clock, SOCKET_CHECK_MS, () =>
        io.stop(`its control socket ${o.controlSocket} was removed (no controller can reach it any more)`),
      );
    }
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
    if (server.stdinIdleTimeoutMs) io.watchStdin(server.stdinIdleTimeoutMs, clock);
    const ready = server.ready ?? Promise.resolve(undefined);
    const first = await Promise.race([ready.then((info) => ({ info })), io.stopped.then((why) => ({ why }))]).catch(
      async (err: unknown) => {
        io.emit({ event: 'fatal', error: errorMessage(err) });
        await server.close().catch(() => undefined);
        throw err;
      },
    );
    if ('info' in first && first.info) io.emit({ event: 'ready', ...first.info });
    if ('info' in first) hello.markReady();
    const why = 'why' in first ? first.why : await io.stopped;
    o.log.info(`stopping on ${why}`);
    return await drainWithin(server, io, clock, o.log);
  } finally {
    orphan?.stop();
    stopWatch?.();
    socket?.close();
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

/** The control socket, its lines handed to `io` as control lines; a path it cannot take is fatal. */
async function listenControl(
  path: string,
  log: Logger,
  io: ProcessIo,
  hello: HelloState,
  orphan: OrphanTimer | undefined,
): Promise<ControlSocket> {
  try {
    return await ControlSocket.listen({
      path,
      log,
      hello: () => hello.hello(),
      onLine: (line) => io.controlLine(line),
      onClients: (n) => {
        orphan?.setClients(n);
        io.setSocketClients(n);
      },
    });
  } catch (err) {
    io.emit({ event: 'fatal', error: errorMessage(err) });
    throw err;
  }
}
