// The main thread's end of the shared-memory ring to a session worker (data plane, replica): hands
// out a free slot's input arrays for the batcher to copy rows into, submits the slot (Atomics.notify
// on the doorbell), waits for the worker with Atomics.waitAsync and answers with views of the
// slot's outputs. A settled slot is held while its caller reads the outputs synchronously (deliver
// encodes every job's answer at once), so the next batch goes to the other slot; a ring too small
// for a batch is replaced by a bigger one.
import type { FeedTensor, SessionTensor } from '../session.js';
import type { TensorData } from '../tensor.js';
import { FREE, SUBMITTED, FAILED, RingMemory, waitChange, type RingLayout } from './ring.js';
import type { RingSetup } from './ring-worker.js';

/** Slots per ring: one batch computing while the previous one's answers are written. */
export const RING_SLOTS = 2;

/** staged: handed out for the next run; busy: with the worker; held: settled, its outputs being read. */
type Use = 'free' | 'staged' | 'busy' | 'held';

/** One ring and what the main thread is doing with each of its slots. */
interface HostedRing {
  mem: RingMemory;
  use: Use[];
  /** Which settle a held slot is held for (a stale release leaves a later hold alone). */
  heldFor: number[];
  retiring: boolean;
}

export class RingHost {
  private current: HostedRing | undefined;
  private readonly rings = new Set<HostedRing>();
  private ticket = 0;
  private cursor = 0;
  private settles = 0;
  private dead: Error | undefined;

  constructor(
    private readonly layout: RingLayout,
    /** Sends a new ring's buffer to the worker (a message: the buffer is shared, not copied). */
    private readonly post: (setup: RingSetup) => void,
    private readonly slots = RING_SLOTS,
  ) {}

  /** Rows a slot of the current ring holds (0 before the first). */
  get rows(): number {
    return this.current?.mem.rows ?? 0;
  }

  /**
   * The input arrays (by input name, room for `rows` rows) of a slot kept for the next run, or
   * undefined when every slot is busy (that run then goes by message).
   */
  stage(rows: number): Record<string, TensorData> | undefined {
    if (this.dead) return undefined;
    const r = this.ringFor(rows);
    let s = r.use.indexOf('staged');
    if (s < 0) s = this.freeSlot(r);
    if (s < 0) return undefined;
    r.use[s] = 'staged';
    const arrays: Record<string, TensorData> = {};
    this.layout.inputs.forEach((t, i) => (arrays[t.name] = r.mem.slots[s]!.inputs[i]!));
    return arrays;
  }

  /** Runs `feeds` through the ring, or undefined when they cannot go by it (then by message). */
  run(feeds: Record<string, FeedTensor>): Promise<Record<string, SessionTensor>> | undefined {
    if (this.dead) return Promise.reject(this.dead);
    const rows = this.rowsOf(feeds);
    if (rows === undefined) return undefined;
    const staged = this.current && this.stagedFor(this.current, feeds);
    const r = staged === undefined ? this.ringFor(rows) : this.current!;
    const s = staged ?? this.freeSlot(r);
    if (s < 0) return undefined;
    const slot = r.mem.slots[s]!;
    if (staged === undefined)
      this.layout.inputs.forEach((t, i) => (slot.inputs[i] as Float32Array).set(feeds[t.name]!.data as Float32Array));
    r.use[s] = 'busy';
    const ctl = r.mem.ctl;
    ctl[r.mem.word(s, 1)] = this.ticket++;
    ctl[r.mem.word(s, 2)] = rows;
    Atomics.store(ctl, r.mem.word(s, 0), SUBMITTED);
    r.mem.ring();
    const answer = this.answer(r, s);
    const settled = () => this.hold(r, s);
    answer.then(settled, settled);
    return answer;
  }

  /** Fails every run waiting on the worker, and every later one, with `err` (the first kept). */
  failAll(err: Error): void {
    this.dead ??= err;
    for (const r of this.rings) for (let s = 0; s < r.use.length; s++) Atomics.notify(r.mem.ctl, r.mem.word(s, 0));
  }

  private async answer(r: HostedRing, s: number): Promise<Record<string, SessionTensor>> {
    const { mem } = r;
    const at = mem.word(s, 0);
    while (Atomics.load(mem.ctl, at) === SUBMITTED) {
      if (this.dead) throw this.dead;
      await waitChange(mem.ctl, at, SUBMITTED);
    }
    if (this.dead) throw this.dead;
    if (Atomics.load(mem.ctl, at) === FAILED) throw new Error(mem.readError(s));
    const outputs: Record<string, SessionTensor> = {};
    this.layout.outputs.forEach((t, i) => {
      const rows = mem.ctl[mem.word(s, 4 + i)]!;
      outputs[t.name] = {
        data: mem.slots[s]!.outputs[i]!.subarray(0, rows * t.rowElements),
        dims: [rows, ...t.rowShape],
      };
    });
    return outputs;
  }

  /**
   * Keeps a settled slot while its caller reads the outputs: until the event loop's next turn, or
   * until another run settles (the caller's synchronous reading is over by then), whichever is first.
   * Several runs can settle within one turn, so the turn alone would leave a single-flight caller
   * (the batcher) without a free slot at times.
   */
  private hold(r: HostedRing, s: number): void {
    for (const h of this.rings) h.use.forEach((u, k) => u === 'held' && this.free(h, k));
    r.use[s] = 'held';
    const n = (r.heldFor[s] = ++this.settles);
    setImmediate(() => r.use[s] === 'held' && r.heldFor[s] === n && this.free(r, s));
  }

  private free(r: HostedRing, s: number): void {
    Atomics.store(r.mem.ctl, r.mem.word(s, 0), FREE);
    r.use[s] = 'free';
    this.closeIfDone(r);
  }

  /** The current ring if its slots hold `rows` rows, else a new one (the old one closes once idle). */
  private ringFor(rows: number): HostedRing {
    if (this.current && this.current.mem.rows >= rows) return this.current;
    const old = this.current;
    const mem = new RingMemory(this.layout, rows, this.slots);
    this.current = { mem, use: mem.slots.map(() => 'free'), heldFor: mem.slots.map(() => 0), retiring: false };
    this.rings.add(this.current);
    this.post({ sab: mem.sab, layout: this.layout, rows, slots: this.slots });
    if (old) {
      old.retiring = true;
      old.use = old.use.map((u) => (u === 'staged' ? 'free' : u));
      this.closeIfDone(old);
    }
    return this.current;
  }

  private closeIfDone(r: HostedRing): void {
    if (!r.retiring || r.use.some((u) => u !== 'free')) return;
    r.mem.close();
    this.rings.delete(r);
  }

  /** A free slot of `r`, the one after the last handed out first (so a just-freed slot rests). */
  private freeSlot(r: HostedRing): number {
    for (let k = 1; k <= r.use.length; k++) {
      const s = (this.cursor + k) % r.use.length;
      if (r.use[s] === 'free') return (this.cursor = s);
    }
    return -1;
  }

  /** The staged slot of `r` whose input arrays `feeds` are (written in place), if any. */
  private stagedFor(r: HostedRing, feeds: Record<string, FeedTensor>): number | undefined {
    const s = r.use.indexOf('staged');
    if (s < 0) return undefined;
    const slot = r.mem.slots[s]!;
    const inPlace = this.layout.inputs.every((t, i) => {
      const d = feeds[t.name]!.data;
      return d.buffer === r.mem.sab && d.byteOffset === slot.inputs[i]!.byteOffset;
    });
    return inPlace ? s : undefined;
  }

  /** The batch rows of `feeds`, or undefined when they do not match the layout (the message path then reports it). */
  private rowsOf(feeds: Record<string, FeedTensor>): number | undefined {
    const names = Object.keys(feeds);
    if (names.length !== this.layout.inputs.length) return undefined;
    const rows = feeds[this.layout.inputs[0]?.name ?? '']?.dims[0];
    if (rows === undefined || !(rows >= 1)) return undefined;
    const fits = this.layout.inputs.every((t) => {
      const f = feeds[t.name];
      return (
        f !== undefined &&
        f.type === t.type &&
        f.dims[0] === rows &&
        f.data.length === rows * t.rowElements &&
        f.dims.length === t.rowShape.length + 1 &&
        t.rowShape.every((d, k) => f.dims[k + 1] === d)
      );
    });
    return fits ? rows : undefined;
  }
}
