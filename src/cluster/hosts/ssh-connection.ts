// The one SSH connection to one host (control plane, hosts): an ssh master process, our own
// child, that owns the control socket every session of that host shares. Its remote side is a tiny
// Node.js reader that echoes each heartbeat line and exits on stdin EOF or missed heartbeats, so
// nothing of ours outlives the controller on the host (ssh-heartbeat.ts). A host is lost when ssh's
// keep-alives fail or when echoes stop (which also catches a one-way cut, where ssh still hears
// from the host); a reader that dies while ssh works is started again, the host stays up.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { JournalSshHost } from '../../common/controller-journal.js';
import { runProcess, type ProcessResult } from './run-process.js';
import { classifySshFailure, lostConnectionCause, type FailureContext, type SshFailure } from './ssh-errors.js';
import { sshArgs, type SshConfig } from './ssh-options.js';
import { masterEndVerdict, masterHeartbeat, readerCommand, type Heartbeat } from './ssh-heartbeat.js';
import { describeTarget, type SshTarget } from './ssh-target.js';

export type ConnectionState = 'down' | 'connecting' | 'up';

export interface SshConnectionOptions {
  hostName: string;
  target: SshTarget;
  config: SshConfig;
  controlPath: string;
  /** Node.js on the host (runs the master's remote side). */
  node: string;
  /** The command that records the host's key, for messages. */
  trustCommand: string;
  clock: Clock;
  log: Logger;
  onState(state: ConnectionState, why: string | undefined): void;
  /** Its heartbeat process ended and was started again (the host stayed up). */
  onNote?(message: string): void;
}

/** Failed to connect: the classified reason. */
export class ConnectError extends Error {
  constructor(readonly failure: SshFailure) {
    super(failure.message);
  }
}

export class SshConnection {
  state: ConnectionState = 'down';
  /** Why it is down (the failure to connect, or how it was lost). */
  reason: string | undefined;
  private master: ChildProcess | undefined;
  private heartbeat: Heartbeat | undefined;
  private closing = false;
  private downWaiters: Array<() => void> = [];

  constructor(readonly o: SshConnectionOptions) {}

  /** ssh options of a session over this connection, up to the destination. */
  sessionArgs(): string[] {
    return sshArgs(this.o.config, this.o.target, { role: 'session', controlPath: this.o.controlPath });
  }

  /** How to reach this host again with a one-shot ssh once we are gone (the controller's journal). */
  reachAgain(): JournalSshHost {
    const { config, target } = this.o;
    return {
      destination: target.destination,
      user: target.user,
      hostname: target.hostname,
      port: target.port,
      args: sshArgs(config, target, { role: 'none' }),
      connectTimeoutMs: config.connectTimeoutMs,
    };
  }

  get failureContext(): FailureContext {
    const c = this.o.config;
    return {
      hostName: this.o.hostName,
      target: this.o.target,
      knownHostsFile: c.knownHostsFile,
      trustCommand: this.o.trustCommand,
      connectTimeoutMs: c.connectTimeoutMs,
      ...(c.identityFile ? { identityFile: c.identityFile } : {}),
    };
  }

  /** Starts the master and resolves once it is up; rejects with a ConnectError saying why not. */
  open(): Promise<void> {
    if (this.state !== 'down') return Promise.resolve();
    const { config, controlPath, target } = this.o;
    mkdirSync(path.dirname(controlPath), { recursive: true, mode: 0o700 });
    rmSync(controlPath, { force: true });
    this.closing = false;
    // While it retries, the last reason it was down stays.
    this.setState('connecting', this.reason);
    const child = spawn(
      'ssh',
      [...sshArgs(config, target, { role: 'master', controlPath }), readerCommand(this.o.node, config)],
      {
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.master = child;
    child.stdin.on('error', () => {});
    let stderr = '';
    let stderrSinceUp = '';
    let opened = false;
    let hb: Heartbeat | undefined;
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-4000);
      if (opened) stderrSinceUp = (stderrSinceUp + c.toString('utf8')).slice(-1000);
    });
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      // Authentication and the remote Node.js start get this long beyond the connect timeout.
      const giveUp = this.o.clock.setTimer(() => fail(true), this.loginTimeoutMs);
      const fail = (timedOut: boolean) => {
        if (settled) return;
        settled = true;
        this.o.clock.clearTimer(giveUp);
        child.kill('SIGKILL');
        const failure = this.failureOf(stderr, timedOut);
        this.setState('down', failure.message);
        reject(new ConnectError(failure));
      };
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (settled || line.trim() !== 'ready') return;
        settled = true;
        opened = true;
        this.o.clock.clearTimer(giveUp);
        this.heartbeat = hb = masterHeartbeat(
          { ...this.o, sessionArgs: () => this.sessionArgs() },
          child,
          () => this.state === 'up' && this.master === child,
        );
        this.setState('up', undefined);
        this.o.log.info('ssh connection up', { host: this.o.hostName, target: describeTarget(target) });
        resolve();
      });
      child.on('close', (code, signal) => {
        if (this.master === child) this.master = undefined;
        hb?.stop();
        if (!settled) return fail(false);
        // A failed open already said why (a login that timed out is killed here: not "lost").
        if (!opened) return;
        const verdict = masterEndVerdict({
          closing: this.closing,
          heartbeatLost: hb?.lost,
          readerEnded: hb?.masterReaderEnded ?? false,
          code,
          signal,
          stderrSinceUp,
        });
        if (verdict === 'closed') return this.setState('down', 'closed');
        if (verdict === 'reopen') return void this.reopen();
        const why = lostConnectionCause(hb?.lost, stderr, code, signal);
        this.setState('down', `lost the SSH connection to ${describeTarget(target)} (${why})`);
      });
    });
  }

  /**
   * Opens the master again at once: its reader was killed with no other session open, so ssh
   * ended with it although the host answered to the end. A failure is the host's loss.
   */
  private async reopen(): Promise<void> {
    this.state = 'down';
    this.o.log.warn('ssh master ended with its heartbeat process; opening it again', { host: this.o.hostName });
    // A failure has set the state down, with its reason.
    if (
      await this.open().then(
        () => true,
        () => false,
      )
    )
      this.o.onNote?.('its heartbeat process ended with no session open; reconnected');
  }

  /** Resolves true once the connection is down (now or within `withinMs`), false if it stays up. */
  downWithin(withinMs: number): Promise<boolean> {
    if (this.state !== 'up') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.o.clock.setTimer(() => resolve(false), withinMs);
      this.downWaiters.push(() => {
        this.o.clock.clearTimer(timer);
        resolve(true);
      });
    });
  }

  /** Runs one shell command on the host over this connection. */
  exec(command: string, o: { timeoutMs: number; input?: () => NodeJS.ReadableStream }): Promise<ProcessResult> {
    return runProcess('ssh', [...this.sessionArgs(), command], {
      timeoutMs: o.timeoutMs,
      ...(o.input ? { input: o.input() as never } : {}),
    });
  }

  /**
   * Ends the master: its stdin closes, so its remote side exits; ssh then waits for the sessions
   * still open, which end as their replicas stop. Killed after `graceMs`.
   */
  async close(graceMs = 5000): Promise<void> {
    const child = this.master;
    this.closing = true;
    this.heartbeat?.stop();
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    child.stdin?.end();
    const kill = this.o.clock.setTimer(() => child.kill('SIGTERM'), graceMs);
    await exited;
    this.o.clock.clearTimer(kill);
    rmSync(this.o.controlPath, { force: true });
  }

  /** How long a login (connect, authentication, the remote Node.js start) may take. */
  private get loginTimeoutMs(): number {
    return this.o.config.connectTimeoutMs + 10_000;
  }

  private failureOf(stderr: string, timedOut: boolean): SshFailure {
    const f = classifySshFailure(stderr, timedOut, this.failureContext, this.loginTimeoutMs);
    if (f.kind !== 'other' || !/not found|No such file/.test(stderr)) return f;
    // Connected, but Node.js did not start there.
    return {
      kind: 'other',
      message:
        `host ${this.o.hostName}: ${this.o.node} did not start there (` +
        `${stderr.trim().split('\n').at(-1)}): set hosts[].node to the host's Node.js`,
    };
  }

  private setState(state: ConnectionState, why: string | undefined): void {
    this.state = state;
    this.reason = why;
    if (state === 'down') for (const w of this.downWaiters.splice(0)) w();
    this.o.onState(state, why);
  }
}
