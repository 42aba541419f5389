// Local launcher (control plane): runs a child with execa in its own process group (detached), so
// Ctrl-C reaches only the controller and a whole replica can be killed as a group.
import { execa } from 'execa';
import { childEnv } from '../../common/child-env.js';
import { systemClock, type Clock } from '../../common/clock.js';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parseProcessEvent, type ExitInfo, type LaunchSpec, type LaunchedProcess, type Launcher } from './launcher.js';

/** Starts children on this host. Children must exit on stdin EOF (`--exit-with-parent`). */
export class LocalLauncher implements Launcher {
  constructor(private readonly clock: Clock = systemClock) {}

  start(spec: LaunchSpec): LaunchedProcess {
    const clock = this.clock;
    const child = spawnDetached(spec);
    const pid = child.pid;
    let done = false;
    const exited = exitInfo(child).then((info) => {
      done = true;
      return info;
    });
    forwardOutput(child, spec);
    // A child that dies leaves an EPIPE on its stdin; that is reported through `exited`.
    child.stdin?.on('error', () => {});
    for (const line of spec.stdinLines ?? []) child.stdin?.write(withNewline(line));
    const signalGroup = (sig: NodeJS.Signals) => {
      if (!done && pid !== undefined) killGroup(pid, sig);
    };
    return {
      pid,
      exited,
      send(line) {
        if (!done && child.stdin?.writable) child.stdin.write(withNewline(line));
      },
      signal: signalGroup,
      async stop(graceMs) {
        signalGroup('SIGTERM');
        const timer = clock.setTimer(() => signalGroup('SIGKILL'), graceMs);
        const info = await exited;
        clock.clearTimer(timer);
        // Anything the child left in its group goes too.
        if (pid !== undefined) killGroup(pid, 'SIGKILL');
        return info;
      },
    };
  }
}

type Child = ReturnType<typeof spawnDetached>;

function spawnDetached(spec: LaunchSpec) {
  return execa(spec.command, [...spec.args], {
    detached: true,
    // execa's own cleanup is off for detached children; ours is stdin EOF plus group kills.
    cleanup: false,
    reject: false,
    buffer: false,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
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

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is already gone.
  }
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
