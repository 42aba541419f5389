// Local launcher (control plane): runs a child with execa in its own process group (detached), so
// Ctrl-C reaches only the controller and a whole replica can be killed as a group. Given the state
// directory's run/ and logs/, a child gets a control socket and writes its log itself, so it keeps
// serving (and logging) when the controller dies, and a new controller can adopt it (socket-launch.ts).
import { execa } from 'execa';
import { childEnv } from '../../common/child-env.js';
import { systemClock, type Clock } from '../../common/clock.js';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parseProcessEvent, type ExitInfo, type LaunchSpec, type LaunchedProcess, type Launcher } from './launcher.js';
import {
  adoptedProcess,
  followEvents,
  groupSignals,
  socketChildIo,
  type AdoptSpec,
  type ChildDirs,
} from './socket-launch.js';

/**
 * Starts children on this host. Without `dirs` they exit on stdin EOF (`--exit-with-parent`) and
 * talk over stdin and stdout; with `dirs`, over a control socket, and they outlive the controller.
 */
export class LocalLauncher implements Launcher {
  constructor(
    private readonly clock: Clock = systemClock,
    private readonly dirs?: ChildDirs,
  ) {}

  /** True when its children outlive the controller (and can be adopted). */
  get adopts(): boolean {
    return this.dirs !== undefined;
  }

  start(spec: LaunchSpec): LaunchedProcess {
    const clock = this.clock;
    const io = this.dirs && socketChildIo(spec, this.dirs);
    const child = spawnDetached(io ? { ...spec, args: io.args } : spec, io?.out);
    io?.closeLog();
    const pid = child.pid;
    let done = false;
    const exited = exitInfo(child).then((info) => {
      done = true;
      return info;
    });
    if (io) followEvents(io.socket, exited, (e) => spec.onEvent(e), clock);
    else forwardOutput(child, spec);
    // A child that dies leaves an EPIPE on its stdin; that is reported through `exited`.
    child.stdin?.on('error', () => {});
    for (const line of spec.stdinLines ?? []) child.stdin?.write(withNewline(line));
    return {
      pid,
      ...(io ? { controlSocket: io.socket } : {}),
      exited,
      send(line) {
        if (!done && child.stdin?.writable) child.stdin.write(withNewline(line));
      },
      ...groupSignals(pid, exited, clock, () => done),
    };
  }

  /** Takes over a child a dead controller started (verified by the caller), through its control socket. */
  adopt(a: AdoptSpec & { controlSocket: string }): LaunchedProcess {
    return adoptedProcess(a, this.clock, a.controlSocket);
  }
}

type Child = ReturnType<typeof spawnDetached>;

/** `out`: the child's log file (stdout and stderr both), or 'ignore'; absent: pipes the controller reads. */
function spawnDetached(spec: LaunchSpec, out?: number | 'ignore') {
  return execa(spec.command, [...spec.args], {
    detached: true,
    // execa's own cleanup is off for detached children; ours is stdin EOF (or `serve down`) plus group kills.
    cleanup: false,
    reject: false,
    buffer: false,
    stdin: 'pipe',
    // A log file's descriptor (execa passes it on; typed as 'pipe' only to keep one result type).
    stdout: (out ?? 'pipe') as 'pipe',
    stderr: (out ?? 'pipe') as 'pipe',
    // Never the controller's whole environment: only the allow-list, the profile's env: and ours.
    env: childEnv(process.env, spec.profileEnv, spec.env),
    extendEnv: false,
  });
}

/** How the child ended; never rejects. */
function exitInfo(child: Child): Promise<ExitInfo> {
  return child.then(
    (r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }),
    (err: { exitCode?: number; signal?: string }) => ({ code: err.exitCode ?? null, signal: err.signal ?? null }),
  );
}

/** Process events on stdout go to `onEvent`; every other line, from either stream, to `onLine`. */
function forwardOutput(child: Child, spec: LaunchSpec): void {
  lines(child.stdout, (line) => {
    const event = parseProcessEvent(line);
    if (event) spec.onEvent(event);
    else spec.onLine(line, 'stdout');
  });
  lines(child.stderr, (line) => spec.onLine(line, 'stderr'));
}

function withNewline(line: string): string {
  return line.endsWith('\n') ? line : line + '\n';
}

function lines(stream: Readable | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', onLine);
  rl.on('error', () => {});
}
