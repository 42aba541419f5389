// Local children that outlive the controller (control plane, launchers): started with a control
// socket in <stateDir>/run/, stdout and stderr appended straight to logs/<id>.log (so the log goes on
// when the controller is gone), settings on stdin, events over the socket. And the other end of it:
// a child a new controller adopted, known only by its pid and its socket.
import { closeSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import { openAppend } from '../../common/no-follow.js';
import { isAlive } from '../../common/process.js';
import type { ProcessEvent } from '../../common/wire.js';
import { controlSocketPath, helloEvents, openControl, type ControlChannel } from './control-socket.js';
import type { ExitInfo, LaunchedProcess, LaunchSpec } from './launcher.js';

/** Where a local launcher puts its children's sockets and logs. */
export interface ChildDirs {
  /** <stateDir>/run/ (mode 0700). */
  runDir: string;
  /** <stateDir>/logs/. */
  logsDir: string;
}

/** How long one connection attempt waits for the child's hello. */
const HELLO_TIMEOUT_MS = 1000;
/** Between connection attempts while the child has not opened its socket yet. */
const CONNECT_RETRY_MS = 20;
/** How often an adopted child whose socket closed is looked for (it is not our child: no exit to wait on). */
const GONE_POLL_MS = 50;

/**
 * The arguments and output of a child started with a control socket: `--control-socket`, and its
 * log file opened (never through a link: a link there is refused, and its output then dropped, said
 * through `onLine`). `closeLog` closes the controller's copy of the descriptor once spawned.
 */
export function socketChildIo(
  spec: LaunchSpec,
  dirs: ChildDirs,
): { socket: string; args: string[]; out: number | 'ignore'; closeLog(): void } {
  const socket = controlSocketPath(dirs.runDir, spec.id);
  const frames = spec.frameSocket ? ['--frame-socket', controlSocketPath(dirs.runDir, spec.id, 'frames.sock')] : [];
  let fd: number | undefined;
  try {
    fd = openAppend(path.join(dirs.logsDir, `${spec.id}.log`));
  } catch (err) {
    spec.onLine(
      JSON.stringify({
        level: 'warn',
        component: 'serve',
        msg: `${spec.id}'s output is dropped: ${errorMessage(err)}`,
      }),
      'stderr',
    );
  }
  return {
    socket,
    args: [...spec.args, '--control-socket', socket, ...frames],
    out: fd ?? 'ignore',
    closeLog: () => fd !== undefined && closeSync(fd),
  };
}

/**
 * Reads the events of a child we started from its control socket: connects (retrying while the
 * socket is not there yet) until `exited` settles, and again if the connection drops while it runs.
 */
export function followEvents(
  socket: string,
  exited: Promise<unknown>,
  onEvent: (e: ProcessEvent) => void,
  clock: Clock,
): void {
  let done = false;
  void exited.then(() => (done = true));
  const attempt = async (): Promise<void> => {
    while (!done) {
      let ch: ControlChannel;
      try {
        ch = await openControl(socket, HELLO_TIMEOUT_MS, clock);
      } catch {
        await new Promise((r) => clock.setTimer(() => r(undefined), CONNECT_RETRY_MS));
        continue;
      }
      // What it said before we connected is in its hello.
      for (const e of helloEvents(ch.hello)) onEvent(e);
      ch.listen(onEvent);
      void exited.then(() => ch.close());
      await ch.closed;
    }
  };
  void attempt();
}

/** What adopting a child needs: its pid (its process group's), its open channel, where its events go. */
export interface AdoptSpec {
  id: string;
  pid: number;
  channel: ControlChannel;
  onEvent(e: ProcessEvent): void;
}

/**
 * A child another controller started, now ours: events and control lines over its socket; it has
 * exited once its socket closed and its pid is gone (its exit code is not ours to know).
 */
export function adoptedProcess(a: AdoptSpec, clock: Clock, socket: string): LaunchedProcess {
  const { pid, channel } = a;
  let done = false;
  const exited = channel.closed
    .then(
      () =>
        new Promise<void>((resolve) => {
          const look = () => (isAlive(pid) ? clock.setTimer(look, GONE_POLL_MS) : resolve());
          look();
        }),
    )
    .then((): ExitInfo => {
      done = true;
      return { code: null, signal: null };
    });
  channel.listen((e) => a.onEvent(e));
  return {
    pid,
    controlSocket: socket,
    exited,
    send: (line) => channel.send(line),
    ...groupSignals(pid, exited, clock, () => done),
  };
}

/**
 * `signal` and `stop` of a child that leads its own process group: signals go to the group while it
 * runs (`isDone` false); `stop` is SIGTERM, SIGKILL after `graceMs`, and once it exited a SIGKILL to
 * whatever it left in its group.
 */
export function groupSignals(
  pid: number | undefined,
  exited: Promise<ExitInfo>,
  clock: Clock,
  isDone: () => boolean,
): Pick<LaunchedProcess, 'signal' | 'stop'> {
  const signal = (sig: NodeJS.Signals) => {
    if (!isDone() && pid !== undefined) killGroup(pid, sig);
  };
  return {
    signal,
    async stop(graceMs) {
      signal('SIGTERM');
      const timer = clock.setTimer(() => signal('SIGKILL'), graceMs);
      const info = await exited;
      clock.clearTimer(timer);
      // Anything the child left in its group goes too.
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
      return info;
    },
  };
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is already gone.
  }
}
