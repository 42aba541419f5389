// Live batching changes sent to running replicas (control plane): writes the numbered
// `reconfigure` control line to each replica's stdin and waits for its `reconfigured` answer, a
// refusal, its exit, or the time limit, whichever comes first.
import type { Clock } from '../../common/clock.js';
import type { LiveSettings, ReplicaReconfigured } from '../../common/settings/live-settings.js';
import type { ControlMessage, ProcessEvent } from '../../common/wire.js';
import type { ReplicaSlot } from './slot.js';

type Ack = Extract<ProcessEvent, { event: 'reconfigured' }>;

/** Numbers each change and matches every replica's answer to it. */
export class LiveReconfigure {
  private seq = 0;
  private waiters = new Map<ReplicaSlot, Array<{ seq: number; settle(a: Ack): void }>>();

  constructor(private readonly clock: Clock) {}

  /** Sends `settings` to every slot in `slots` (each with a running process); resolves with each one's answer. */
  send(slots: readonly ReplicaSlot[], settings: LiveSettings, timeoutMs: number): Promise<ReplicaReconfigured[]> {
    const seq = ++this.seq;
    const line = JSON.stringify({ type: 'reconfigure', seq, settings: { ...settings } } satisfies ControlMessage);
    return Promise.all(slots.map((slot) => this.one(slot, seq, line, timeoutMs)));
  }

  /** A `reconfigured` event from `slot`'s process. */
  onAck(slot: ReplicaSlot, ack: Ack): void {
    const list = this.waiters.get(slot);
    if (!list) return;
    for (const w of list.filter((x) => x.seq === ack.seq)) w.settle(ack);
  }

  private one(slot: ReplicaSlot, seq: number, line: string, timeoutMs: number): Promise<ReplicaReconfigured> {
    const proc = slot.proc;
    if (!proc) return Promise.resolve({ id: slot.id, ok: false, error: 'not running' });
    return new Promise((resolve) => {
      let done = false;
      const entry = {
        seq,
        settle: (a: Ack) =>
          finish(a.error === undefined ? { id: slot.id, ok: true } : { id: slot.id, ok: false, error: a.error }),
      };
      const finish = (r: ReplicaReconfigured) => {
        if (done) return;
        done = true;
        this.clock.clearTimer(timer);
        const rest = (this.waiters.get(slot) ?? []).filter((w) => w !== entry);
        if (rest.length > 0) this.waiters.set(slot, rest);
        else this.waiters.delete(slot);
        resolve(r);
      };
      const timer = this.clock.setTimer(
        () => finish({ id: slot.id, ok: false, error: `no answer within ${timeoutMs}ms` }),
        timeoutMs,
      );
      this.waiters.set(slot, [...(this.waiters.get(slot) ?? []), entry]);
      void proc.exited.then(() => finish({ id: slot.id, ok: false, error: 'exited before it answered' }));
      proc.send(line);
    });
  }
}
