// The SSH launcher (control plane, launchers): runs a child on one host as a session over that
// host's shared connection. Stdin, stdout and stderr travel over the session; a heartbeat line
// keeps a remote replica alive; a stop is SIGTERM to its process group there, then the session
// ends. A session that ends without the wrapper's exit status (the connection died, or a kill the
// host never confirmed), or with a signal nobody sent just before the connection died, is reported
// as lost (ExitInfo.lost), not as an exit of the child.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { HEARTBEAT_LINE } from '../../common/wire.js';
import { parseProcessEvent, type ExitInfo, type LaunchSpec, type LaunchedProcess, type Launcher } from './launcher.js';
import { runProcess } from '../hosts/index.js';
import { parseRemoteMark, remoteCommand, statusOf } from './remote-command.js';
import { detachedRemoteCommand, parseDetachedStart } from './remote-detached.js';
import { followRemoteEvents } from './remote-bridge.js';
import type { SshConnection } from '../hosts/index.js';

export interface SshLauncherOptions {
  connection: SshConnection;
  /** Folder the child runs in on the host. */
  workdir: string;
  clock: Clock;
  /** A heartbeat line is written to the child's stdin this often. */
  heartbeatMs: number;
  /**
   * Children outlive the SSH session (issue 26; remote-detached.ts): started in their own session
   * there with a control socket in `$HOME/.serve/run/<runKey>`, read through a forward of it to a
   * socket in `runDir` here. Absent: children live and die with their session (stdin, stdout).
   */
  detached?: { runKey: string; runDir: string };
}

/** How long an unexplained end of a session waits for the connection's verdict. */
const VERDICT_MS = 1500;
/**
 * How long the end of a session after our SIGKILL waits for the connection to say it is down: when
 * the master dies (a host lost) every session ends in the same instant, and a session's end may be
 * read just before the master's.
 */
const KILL_VERDICT_MS = 500;

export class SshLauncher implements Launcher {
  constructor(private readonly o: SshLauncherOptions) {}

  start(spec: LaunchSpec): LaunchedProcess {
    const conn = this.o.connection;
    // Never let ssh fall back to a connection of its own: a host that is down is lost at once.
    if (conn.state !== 'up') return lostAtOnce(conn.reason ?? `host ${conn.o.hostName} is not connected`);
    return new SshSession(this.o, spec);
  }
}

function lostAtOnce(why: string): LaunchedProcess {
  return {
    pid: undefined,
    remote: true,
    exited: Promise.resolve({ code: null, signal: null, lost: why }),
    send() {},
    signal() {},
    stop: () => Promise.resolve({ code: null, signal: null, lost: why }),
  };
}

class SshSession implements LaunchedProcess {
  readonly remote = true;
  readonly exited: Promise<ExitInfo>;
  private remotePid: number | undefined;
  /** A detached child's start time there (ticks) and its control socket there. */
  startTicks: number | undefined;
  controlSocket: string | undefined;
  private exitStatus: number | undefined;
  private sent: NodeJS.Signals | undefined;
  /** We closed the session ourselves, not knowing whether the child there got the signal. */
  private forced = false;
  /** The local ssh process has ended (the verdict may still be pending). */
  private closed = false;
  private done = false;
  private readonly child;
  private heartbeat: TimerHandle | undefined;
  /** The last stderr line that was not the wrapper's (ssh's own complaint, when it refused). */
  private lastError: string | undefined;

  constructor(
    private readonly o: SshLauncherOptions,
    private readonly spec: LaunchSpec,
  ) {
    const conn = o.connection;
    // The profile's env: then ours; the wrapper adds the allow-list of the host's own environment.
    const env = { ...spec.profileEnv, ...spec.env };
    const run = { workdir: o.workdir, env, command: spec.command, args: spec.args };
    const command = o.detached
      ? detachedRemoteCommand({ ...run, detached: { runKey: o.detached.runKey, id: spec.id } })
      : remoteCommand(run);
    this.child = spawn('ssh', [...conn.sessionArgs(), command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const closed = new Promise<number | null>((resolve) => {
      this.child.on('error', () => resolve(null));
      this.child.on('close', (code) => {
        this.closed = true;
        resolve(code);
      });
    });
    this.exited = closed
      .then((code) => this.verdict(code))
      .then((info) => {
        this.done = true;
        o.clock.clearTimer(this.heartbeat);
        return info;
      });
    this.child.stdin.on('error', () => {});
    for (const line of spec.stdinLines ?? []) this.child.stdin.write(line.endsWith('\n') ? line : line + '\n');
    lines(this.child.stdout, (line) => {
      const event = parseProcessEvent(line);
      if (event) spec.onEvent(event);
      else spec.onLine(line, 'stdout');
    });
    lines(this.child.stderr, (line) => {
      const started = o.detached && parseDetachedStart(line);
      if (started) return this.detachedStarted(started);
      const mark = parseRemoteMark(line);
      if (mark && 'pid' in mark) this.remotePid = mark.pid;
      else if (mark) this.exitStatus = mark.exit;
      else {
        if (line.trim()) this.lastError = line.trim();
        spec.onLine(line, 'stderr');
      }
    });
    const beat = () => {
      this.send(HEARTBEAT_LINE);
      this.heartbeat = o.clock.setTimer(beat, o.heartbeatMs, { unref: true });
    };
    this.heartbeat = o.clock.setTimer(beat, o.heartbeatMs, { unref: true });
  }

  /** A detached child runs: its events come over its control socket, forwarded here. */
  private detachedStarted(s: { pid: number; startTicks: number | undefined; socket: string }): void {
    this.remotePid = s.pid;
    this.startTicks = s.startTicks;
    this.controlSocket = s.socket;
    const { connection, detached, clock } = this.o;
    const spec = this.spec;
    followRemoteEvents(
      { sessionArgs: connection.sessionArgs(), runDir: detached!.runDir, id: spec.id, remoteSocket: s.socket, clock },
      this.exited,
      (e) => spec.onEvent(e),
      (line) => spec.onLine(line, 'stderr'),
    );
  }

  /** The pid on the host (its process group), once the wrapper has said it. */
  get pid(): number | undefined {
    return this.remotePid;
  }

  send(line: string): void {
    if (!this.done && this.child.stdin.writable) this.child.stdin.write(line.endsWith('\n') ? line : line + '\n');
  }

  signal(sig: NodeJS.Signals): void {
    if (this.done) return;
    if (this.sent !== 'SIGKILL') this.sent = sig;
    const conn = this.o.connection;
    if (this.remotePid !== undefined && conn.state === 'up') {
      const name = sig.replace(/^SIG/, '');
      void runProcess('ssh', [...conn.sessionArgs(), `kill -${name} -- -${this.remotePid}`], { timeoutMs: 5000 });
    } else {
      // No pid there yet, or no connection: ending the session closes the child's stdin, and a
      // data-plane child drains and exits on stdin EOF.
      this.closeSession('SIGTERM');
    }
    // A kill must end the session whatever the host does.
    if (sig === 'SIGKILL') this.o.clock.setTimer(() => this.closeSession('SIGKILL'), 2000, { unref: true });
  }

  private closeSession(sig: NodeJS.Signals): void {
    if (this.closed) return;
    this.forced = true;
    this.child.kill(sig);
  }

  async stop(graceMs: number): Promise<ExitInfo> {
    const { clock } = this.o;
    this.signal('SIGTERM');
    const kill = clock.setTimer(() => this.signal('SIGKILL'), graceMs);
    const info = await this.exited;
    clock.clearTimer(kill);
    return info;
  }

  /**
   * How the session's end reads. The wrapper reports every exit of the child, and dies without a
   * word only to SIGKILL: so no status after a kill that ended the session is that kill; anything
   * else (the connection died, a kill the host never confirmed, an end with no status after the
   * child started) is a lost child, which may still run there cut off: its requests are failed
   * over, never waited for.
   */
  private async verdict(sshCode: number | null): Promise<ExitInfo> {
    const conn = this.o.connection;
    if (this.exitStatus !== undefined) {
      const info = statusOf(this.exitStatus);
      // Killed by a signal nobody here sent, and the connection drops right after: the host went
      // with its processes (a reboot, a killed process tree), not a crash of the child's own.
      if (info.signal !== null && !this.sent && (await conn.downWithin(conn.state === 'up' ? VERDICT_MS : 0)))
        return { ...info, lost: conn.reason ?? `the SSH connection to ${conn.o.hostName} is down` };
      return info;
    }
    const sent = this.sent ?? null;
    if (conn.state === 'up' && this.sent && !this.forced) {
      // A kill leaves no status either way: only the connection tells a host lost at that moment.
      if (this.sent === 'SIGKILL' && (await conn.downWithin(KILL_VERDICT_MS)))
        return { code: null, signal: sent, lost: conn.reason ?? `the SSH connection to ${conn.o.hostName} is down` };
      return { code: null, signal: sent };
    }
    // Give the connection a moment to say it is down, for the reason.
    const down = await conn.downWithin(conn.state === 'up' ? VERDICT_MS : 0);
    // The wrapper never said its pid: nothing started there (sshd refused the session, say). An
    // ordinary failed start, with backoff, so a refusal cannot turn into a tight relaunch loop.
    if (!down && this.remotePid === undefined && !this.forced) {
      if (this.lastError)
        this.spec.onEvent({ event: 'fatal', error: `ssh to ${conn.o.hostName}: ${this.lastError.slice(0, 300)}` });
      return { code: sshCode, signal: null };
    }
    const why = down
      ? (conn.reason ?? `the SSH connection to ${conn.o.hostName} is down`)
      : this.forced
        ? `host ${conn.o.hostName} did not confirm the ${sent ?? 'stop'}; its session was closed`
        : `its session on ${conn.o.hostName} ended without an exit status (ssh exited ` + `with ${sshCode})`;
    return { code: null, signal: sent, lost: why };
  }
}

function lines(stream: Readable, onLine: (line: string) => void): void {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', onLine);
  rl.on('error', () => {});
}
