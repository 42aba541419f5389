// The heartbeat of one SSH connection (control plane, hosts): a line written every keep-alive period
// to a tiny reader on the host, which echoes it and exits on stdin EOF or when lines stop. Silence
// for keepalive_count + 1 periods means the host is lost. The reader runs first as the master's own
// session; when it ends while the connection still works (the OOM killer took it, say), it is
// started again as a session over that connection: a lost helper is not a lost host.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { shellQuote } from './shell-quote.js';
import type { SshConfig } from './ssh-options.js';

/** The master's remote side: echoes heartbeats, exits on stdin EOF or when they stop for `limitMs`. */
export function readerScript(limitMs: number): string {
  return (
    `let t=Date.now();process.stdin.on('data',()=>{t=Date.now();process.stdout.write('.\\n')});process.stdin.on('end',()=>process.exit(0));` +
    `setInterval(()=>{if(Date.now()-t>${limitMs}` +
    `)process.exit(0)},500);process.stdout.write('ready\\n')`
  );
}

/** Where heartbeats go and echoes come from: the master's stdio, or a session of its own. */
export interface HeartbeatChannel {
  input: Writable;
  output: Readable;
  /** A session started to carry the heartbeat again (absent for the master's own). */
  session?: ChildProcess;
}

export interface HeartbeatOptions {
  clock: Clock;
  keepaliveMs: number;
  keepaliveCount: number;
  /** Starts the reader again as a session over the connection (never a connection of its own). */
  startSession(): ChildProcess;
  /** Echoes stopped, or the reader could not be started again: the host is lost. */
  onLost(why: string): void;
  /** The reader ended and is back: said once each time. */
  onNote(message: string): void;
}

/** What the end of the heartbeat's channel means (pure). */
export function heartbeatEndVerdict(s: {
  stopped: boolean;
  current: boolean;
  connectionUp: boolean;
}): 'ignore' | 'restart' {
  return !s.stopped && s.current && s.connectionUp ? 'restart' : 'ignore';
}

/**
 * What the end of a master that was up means (pure): `closed` (we closed it), `lost` (the host),
 * or `reopen`: its own reader ended (killed there) and, with no other session open, ssh ended
 * with it, quietly (255, nothing on stderr since it came up): the connection worked to the end, so
 * it is opened again at once rather than the host declared lost.
 */
export function masterEndVerdict(s: {
  closing: boolean;
  heartbeatLost: string | undefined;
  readerEnded: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderrSinceUp: string;
}): 'closed' | 'lost' | 'reopen' {
  if (s.closing) return 'closed';
  const quiet = s.code === 255 && s.signal === null && s.stderrSinceUp.trim() === '';
  return !s.heartbeatLost && s.readerEnded && quiet ? 'reopen' : 'lost';
}

export class Heartbeat {
  /** Why echoes stopped (set when the host is declared lost by the heartbeat). */
  lost: string | undefined;
  /** The master's own reader ended by itself (its session closed while the connection worked). */
  masterReaderEnded = false;
  private lastEchoMs: number;
  private timer: TimerHandle | undefined;
  private channel: HeartbeatChannel;
  /** A reader being started again, not ready yet. */
  private starting: ChildProcess | undefined;
  private stopped = false;

  constructor(
    private readonly o: HeartbeatOptions,
    first: HeartbeatChannel,
    private readonly connectionUp: () => boolean,
  ) {
    this.lastEchoMs = o.clock.nowMs();
    this.channel = first;
    this.listen(first, true);
    this.beat();
  }

  /** How long echoes may stop before the host is lost. */
  get limitMs(): number {
    return this.o.keepaliveMs * (this.o.keepaliveCount + 1);
  }

  /** Stops writing; a session of its own has its stdin closed, so its reader exits. */
  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimer(this.timer);
    this.channel.session?.stdin?.end();
    this.starting?.stdin?.end();
  }

  private beat(): void {
    const silentMs = this.o.clock.nowMs() - this.lastEchoMs;
    if (silentMs > this.limitMs) {
      this.lost = `no answer to ${this.o.keepaliveCount + 1} heartbeats in ${Math.round(silentMs / 1000)}s`;
      this.o.clock.clearTimer(this.timer);
      return this.o.onLost(this.lost);
    }
    if (this.channel.input.writable) this.channel.input.write('.\n');
    this.timer = this.o.clock.setTimer(() => this.beat(), this.o.keepaliveMs, { unref: true });
  }

  /** Echoes of `ch` count while it is the current channel; its end starts the reader again. */
  private listen(ch: HeartbeatChannel, isMaster: boolean, onReady?: () => void): void {
    createInterface({ input: ch.output })
      .on('line', (line) => {
        if (line.trim() === 'ready' && onReady) return onReady();
        if (ch === this.channel) this.lastEchoMs = this.o.clock.nowMs();
      })
      .on('close', () => {
        const verdict = heartbeatEndVerdict({
          stopped: this.stopped,
          current: ch === this.channel,
          connectionUp: this.connectionUp(),
        });
        if (verdict !== 'restart') return;
        if (isMaster) this.masterReaderEnded = true;
        this.restart();
      });
    ch.input.on('error', () => {});
  }

  /**
   * Starts the reader again over the connection. It must say `ready` before echoes have been
   * missing for the whole limit (the silence check keeps running); a session that ends first is
   * the host's loss, named by ssh's last line.
   */
  private restart(): void {
    const startedMs = this.o.clock.nowMs();
    const session = (this.starting = this.o.startSession());
    let stderr = '';
    session.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-2000)));
    let ready = false;
    const ch: HeartbeatChannel = { input: session.stdin!, output: session.stdout!, session };
    session.on('error', () => {});
    session.on('close', (code) => {
      if (ready || this.stopped || this.lost || !this.connectionUp()) return;
      const last = stderr.trim().split('\n').at(-1)?.trim();
      this.lost = `its heartbeat process ended and could not be started again (${last || `ssh exited with ${code}`})`;
      this.o.clock.clearTimer(this.timer);
      this.o.onLost(this.lost);
    });
    this.listen(ch, false, () => {
      if (this.stopped || ready) return;
      ready = true;
      this.starting = undefined;
      this.channel = ch;
      this.lastEchoMs = this.o.clock.nowMs();
      this.o.onNote(
        `its heartbeat process ended while the SSH connection still works; started again over it in ` +
          `${Math.round(this.o.clock.nowMs() - startedMs)} ms; its replicas keep running`,
      );
    });
  }
}

/** The reader as a remote command (the master's own session, or one over it). */
export function readerCommand(node: string, c: SshConfig): string {
  return `exec ${shellQuote(node)} -e ${shellQuote(readerScript(c.keepaliveMs * (c.keepaliveCount + 1)))}`;
}

/** What the heartbeat of a connection needs of it. */
export interface MasterHeartbeatOptions {
  hostName: string;
  node: string;
  config: SshConfig;
  clock: Clock;
  log: Logger;
  /** ssh options of a session over the master, up to the destination. */
  sessionArgs(): string[];
  onNote?(message: string): void;
}

/**
 * Heartbeats over the master's own session (`child`); when no echo has come back for
 * keepalive_count + 1 periods, or its reader could not be started again, the host is lost and the
 * master is killed (its sessions end with it). A master that already ended tells why itself.
 */
export function masterHeartbeat(o: MasterHeartbeatOptions, child: ChildProcess, isUp: () => boolean): Heartbeat {
  return new Heartbeat(
    {
      clock: o.clock,
      keepaliveMs: o.config.keepaliveMs,
      keepaliveCount: o.config.keepaliveCount,
      // ProxyCommand=/bin/false: ssh fails at once rather than connect by itself when the master is gone.
      startSession: () => {
        const args = o.sessionArgs();
        args.splice(args.lastIndexOf('--'), 0, '-o', 'ProxyCommand=/bin/false');
        const remote = readerCommand(o.node, o.config);
        return spawn('ssh', [...args, remote], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      },
      onLost: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
      onNote: (message) => {
        o.log.warn('heartbeat process started again', { host: o.hostName });
        o.onNote?.(message);
      },
    },
    { input: child.stdin!, output: child.stdout! },
    isUp,
  );
}
