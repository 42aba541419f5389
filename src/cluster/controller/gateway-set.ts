// The replica set as the controller tells it to the gateway (control plane): numbered `replicas`
// messages (with a rollout's weights and the replicas to abort), and the waits for the gateway's
// `applied` acknowledgement of each, which give up after a while (a restarting gateway says nothing).
import type { Clock } from '../../common/clock.js';
import type { ControlMessage, ReplicaEndpoint } from '../../common/wire.js';

/** How long a replica-set change may go unacknowledged before callers stop waiting (a restarting gateway). */
const ACK_TIMEOUT_MS = 2000;

export class GatewaySet {
  set: ReplicaEndpoint[] = [];
  /** Traffic weight by model version during a rollout; undefined otherwise. */
  weights: Record<string, number> | undefined;
  /** Replicas a rollout step holds out of routing (sent as not ready); empty otherwise. */
  held: ReadonlySet<string> = new Set();
  private seq = 0;
  private ackWaiters: Array<{ seq: number; resolve(): void }> = [];

  constructor(private readonly clock: Clock) {}

  /** The next message of the set in force, as one line. */
  line(abort: string[] = []): string {
    const msg: ControlMessage = {
      type: 'replicas',
      replicas:
        this.held.size === 0 ? this.set : this.set.map((r) => (this.held.has(r.id) ? { ...r, ready: false } : r)),
      seq: ++this.seq,
      ...(abort.length > 0 ? { abort } : {}),
      ...(this.weights ? { weights: this.weights } : {}),
    };
    return JSON.stringify(msg);
  }

  /** Sends the set with `send` (none: resolves at once); resolves once acknowledged or after the timeout. */
  send(send: ((line: string) => void) | undefined, abort: string[]): Promise<void> {
    if (!send) return Promise.resolve();
    send(this.line(abort));
    const seq = this.seq;
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimer(() => resolve(), ACK_TIMEOUT_MS);
      this.ackWaiters.push({ seq, resolve: () => (this.clock.clearTimer(timer), resolve()) });
    });
  }

  /** The gateway routes by message `seq` (Infinity: nobody is left to acknowledge). */
  applied(seq: number): void {
    const done = this.ackWaiters.filter((w) => w.seq <= seq);
    this.ackWaiters = this.ackWaiters.filter((w) => w.seq > seq);
    for (const w of done) w.resolve();
  }
}
