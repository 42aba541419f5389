// The gateway child as the controller sees it (control plane): starts it, keeps it informed of
// the whole replica set on stdin, restarts it on the same port if it dies, and drains it on stop.
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { GatewayControl, ReplicaEndpoint } from '../common/wire.js';
import { RestartTracker, type RestartPolicy } from './backoff.js';
import type { ClusterEvent } from './events.js';
import type { LaunchedProcess, Launcher } from './launcher.js';

export interface GatewayLinkOptions {
  launcher: Launcher;
  clock: Clock;
  restartPolicy: RestartPolicy;
  /** Command line; `port` is set on restarts to keep the URL the same. */
  command(port?: number): { command: string; args: string[] };
  log: Logger;
  onOutput(line: string): void;
  onEvent(event: ClusterEvent): void;
  /** Called when the gateway's URL becomes known or changes. */
  onUrl(url: string): void;
}

export class GatewayLink {
  private proc: LaunchedProcess | undefined;
  private set: ReplicaEndpoint[] = [];
  private port: number | undefined;
  private restartTracker: RestartTracker;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private listeningWaiters: Array<(url: string) => void> = [];
  state: 'starting' | 'ready' | 'restarting' | 'stopped' = 'starting';
  url: string | undefined;
  restarts = 0;
  failure: string | undefined;

  constructor(private readonly o: GatewayLinkOptions) {
    this.restartTracker = new RestartTracker(o.restartPolicy, o.clock);
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  start(): void {
    if (this.stopped) return;
    const { command, args } = this.o.command(this.port);
    this.state = 'starting';
    const proc = this.o.launcher.start({
      id: 'gateway',
      command,
      args,
      onEvent: (e) => {
        if (e.event === 'listening') {
          this.port = e.port;
          this.url = e.url;
          this.state = 'ready';
          this.restartTracker.healthy();
          this.o.onUrl(e.url);
          for (const w of this.listeningWaiters.splice(0)) w(e.url);
        } else if (e.event === 'fatal') {
          this.failure = e.error;
        }
      },
      onLine: (line) => this.o.onOutput(line),
    });
    this.proc = proc;
    this.sendSet();
    void proc.exited.then((info) => {
      if (this.proc !== proc) return;
      this.proc = undefined;
      if (this.stopped) return;
      const why = this.failure ?? (info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`);
      // One that never listened (port taken, bad flag) will not do better on a retry.
      const d = this.url === undefined ? { action: 'fail' as const, reason: why } : this.restartTracker.failed(why);
      if (d.action === 'fail') {
        this.state = 'stopped';
        this.failure = d.reason;
        this.o.onEvent({ level: 'error', kind: 'gateway', message: `gateway failed: ${d.reason}` });
        for (const w of this.listeningWaiters.splice(0)) w('');
        return;
      }
      this.state = 'restarting';
      this.o.onEvent({ level: 'warn', kind: 'gateway', message: `gateway ${why}; restarting in ${Math.round(d.delayMs)}ms` });
      this.timer = setTimeout(() => {
        this.restarts++;
        this.start();
      }, d.delayMs);
    });
  }

  /** Resolves with the gateway URL once it listens ('' if it failed for good). */
  listening(): Promise<string> {
    if (this.url !== undefined && this.state === 'ready') return Promise.resolve(this.url);
    if (this.state === 'stopped') return Promise.resolve('');
    return new Promise((resolve) => this.listeningWaiters.push(resolve));
  }

  /** Replaces the replica set the gateway routes to; sent whole, so repeats are harmless. */
  update(set: ReplicaEndpoint[]): void {
    this.set = set;
    this.sendSet();
  }

  /** SIGTERM (the gateway drains what it accepted), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const proc = this.proc;
    if (proc) await proc.stop(graceMs);
    this.state = 'stopped';
    for (const w of this.listeningWaiters.splice(0)) w('');
  }

  private sendSet(): void {
    const msg: GatewayControl = { type: 'replicas', replicas: this.set };
    this.proc?.send(JSON.stringify(msg));
  }
}
