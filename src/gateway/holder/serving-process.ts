// One serving gateway process as its socket holder sees it (gateway, data plane): a `serve gateway
// --listen-from-parent` child, which asks for the socket over IPC once started and gets it when the
// holder allows (at once, or, for a standby, when it takes over); its stdout events are read here,
// every other stdout line is passed on to the holder's stdout.
import { fork, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import type { Logger } from '../../common/log.js';
import { parseProcessEvent, type ListenAddress, type ProcessEvent } from '../../common/wire.js';
import { KeepIpc, keepMessage, type KeptConnections } from './kept.js';

/** The IPC messages between holder and serving process (never on stdin/stdout). */
export const HolderIpc = {
  /** Serving process -> holder: send me the socket. */
  want: 'socket?',
  /** Holder -> serving process, with the socket handle. */
  socket: 'socket',
  /** Holder -> serving process: a new one serves; hand over and exit. */
  handover: 'handover',
} as const;

/** Where a serving process listens (its `listening` event). */
export type Listening = ListenAddress;

export interface ServingProcessOptions {
  cliEntry: string;
  /** The bound socket handle it listens on. */
  socket: object;
  /** False for a standby: it gets the socket once allow() is called. */
  mayListen: boolean;
  /** Its first stdin lines: the settings, then the last tokens and replica set. */
  lines: string[];
  log: Logger;
  /** An `applied` event of a process that is not handing over. */
  onApplied(e: ProcessEvent): void;
  /** The holder's copies of the connections serving processes lend it (lend.ts). */
  kept: KeptConnections<ServingProcess>;
}

export class ServingProcess {
  readonly pid: number;
  /** Resolves with where it listens, or undefined if it exited first. */
  readonly listening: Promise<Listening | undefined>;
  /** Resolves with how it ended ("killed by SIGKILL"). */
  readonly exited: Promise<string>;
  /** Its `fatal` event's error, if it printed one. */
  fatal: string | undefined;
  handingOver = false;
  /** Control lines written to it since its start (a standby keeps them until it serves). */
  lines = 0;
  private readonly proc: ChildProcess;
  private asked = false;
  private mayListen: boolean;

  constructor(private readonly o: ServingProcessOptions) {
    this.mayListen = o.mayListen;
    this.proc = fork(o.cliEntry, ['gateway', '--settings-stdin', '--exit-with-parent', '--listen-from-parent'], {
      stdio: ['pipe', 'pipe', 'inherit', 'ipc'],
    });
    this.pid = this.proc.pid ?? 0;
    let listened: (where: Listening | undefined) => void = () => undefined;
    this.listening = new Promise((resolve) => (listened = resolve));
    this.exited = new Promise((resolve) =>
      this.proc.once('exit', (code, signal) => {
        listened(undefined);
        resolve(signal ? `killed by ${signal}` : `exited with code ${code}`);
      }),
    );
    this.proc.stdin?.on('error', () => undefined);
    this.proc.on('error', (err) => o.log.error('serving gateway process error', { error: err.message }));
    this.proc.on('message', (m, handle) => {
      const k = keepMessage(m);
      if (k?.type === KeepIpc.lend) return o.kept.lent(this, k.id, handle);
      if (k?.type === KeepIpc.closed) return o.kept.closed(this, k.id);
      if (m !== HolderIpc.want) return;
      this.asked = true;
      if (this.mayListen) this.allow();
      else o.log.info('standby ready', { pid: this.pid });
    });
    for (const line of o.lines) this.write(line);
    readline.createInterface({ input: this.proc.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      const e = parseProcessEvent(line);
      if (!e) return void process.stdout.write(line + '\n');
      if (e.event === 'listening') return listened({ host: e.host, port: e.port, url: e.url });
      if (e.event === 'fatal') this.fatal = e.error;
      // A process that hands over or drains says nothing the controller waits for.
      if (e.event === 'applied' && !this.handingOver) o.onApplied(e);
    });
  }

  /** Lets it listen: it gets the socket now if it asked, or as soon as it asks. */
  allow(): void {
    this.mayListen = true;
    // Node's own send (cluster primaries do the same): the handle of a bound socket.
    if (this.asked && this.proc.connected)
      (this.proc.send as (m: string, h: object) => boolean)(HolderIpc.socket, this.o.socket);
  }

  /** Gives it a connection of a killed serving process to serve (false if it cannot be sent). */
  adopt(id: string, handle: object): boolean {
    if (!this.proc.connected) return false;
    // A send that fails (the process died meanwhile) goes to the callback, never to 'error'.
    (this.proc as { send(m: unknown, h: object, o: object, cb: (err: Error | null) => void): boolean }).send(
      { type: KeepIpc.adopt, id },
      handle,
      {},
      () => undefined,
    );
    return true;
  }

  write(line: string): void {
    this.lines++;
    if (this.proc.stdin?.writable) this.proc.stdin.write(line + '\n');
  }

  /** Another serves now: it answers what comes on its open connections and exits. */
  handOver(): void {
    this.handingOver = true;
    if (this.proc.connected) this.proc.send(HolderIpc.handover);
    else this.proc.kill('SIGTERM');
  }

  /** Drains as the gateway does when its controller goes (stdin EOF). */
  endStdin(): void {
    this.proc.stdin?.end();
  }

  kill(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }
}
