// The seam between the controller and the processes it runs (control plane): a launcher starts a
// child in its own process group and kills it as a group. Local and over SSH; fakes in tests.
import type { ProcessEvent } from '../../common/wire.js';

/** How a child ended: exit code, or the signal that killed it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /**
   * Set when the child's host was lost (its SSH connection died): the process may even still run
   * there, cut off. The supervisor treats this as `host-lost`, not as an exit of the child.
   */
  lost?: string;
}

/** What to run and where its output goes. */
export interface LaunchSpec {
  /** Component id used in logs ("replica-1", "gateway"). */
  id: string;
  /** Profile name of the host to run it on; undefined: this machine. */
  host?: string;
  command: string;
  args: readonly string[];
  /**
   * The variables the controller sets itself (CUDA_VISIBLE_DEVICES of a GPU replica). The child's
   * environment is the allow-list of common/child-env.ts, then `profileEnv`, then these; on an SSH
   * host the allow-list is taken from the environment there.
   */
  env?: Readonly<Record<string, string>>;
  /** The profile's `env:`: what the user passes to every child. */
  profileEnv?: Readonly<Record<string, string>>;
  /**
   * A replica the gateway may reach over a frame socket: a local launcher with a run directory starts
   * it with `--frame-socket <runDir>/<id>.<random>.frames.sock`. Others (SSH hosts) serve HTTP only.
   */
  frameSocket?: boolean;
  /** Lines written to the child's stdin before anything else (its settings). */
  stdinLines?: readonly string[];
  /** Called for each ProcessEvent JSON line the child prints on stdout. */
  onEvent(event: ProcessEvent): void;
  /** Called for every other output line (stderr JSON logs, stray stdout). */
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
}

/** A running child. */
export interface LaunchedProcess {
  /** Its pid (on an SSH host: the pid there, once known). */
  readonly pid: number | undefined;
  /** True when it runs on another host: /proc here says nothing about it. */
  readonly remote?: boolean;
  /**
   * Its control socket, for a child that outlives the controller: a new controller reconnects to it
   * (on an SSH host: the path there, reached through a forward).
   */
  readonly controlSocket?: string;
  /** Its start time in clock ticks on its host (an SSH host's detached child; /proc tells a local one's). */
  readonly startTicks?: number;
  /** Settles once the child has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Writes one control line to the child (stdin, or its control socket once adopted); ignored once it exited. */
  send(line: string): void;
  /** SIGTERM to the group, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs: number): Promise<ExitInfo>;
  /** Sends `signal` to the whole process group now. */
  signal(signal: NodeJS.Signals): void;
}

export interface Launcher {
  start(spec: LaunchSpec): LaunchedProcess;
}

export { parseProcessEvent } from '../../common/wire.js';
