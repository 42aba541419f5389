// The session worker's end of a shared-memory ring (data plane, replica): waits for the doorbell
// with Atomics.waitAsync (not Atomics.wait: onnxruntime-node's run completes through the worker's
// event loop, which a blocking wait would stop), runs every submitted slot in ticket order, writes
// its outputs (or its error) into the slot and notifies the slot's state word.
import { errorMessage } from '../../common/errors.js';
import type { FeedTensor, ModelSession } from '../session.js';
import type { TensorData } from '../tensor.js';
import { DONE, FAILED, SUBMITTED, RingMemory, waitChange, type RingLayout } from './ring.js';

/** What the main thread sends to start a ring (a message; the ring's buffer is shared, not copied). */
export interface RingSetup {
  sab: SharedArrayBuffer;
  layout: RingLayout;
  rows: number;
  slots: number;
}

/** Serves `setup`'s ring with `session` until the main thread closes it. */
export async function serveRing(session: ModelSession, setup: RingSetup): Promise<void> {
  const ring = new RingMemory(setup.layout, setup.rows, setup.slots, setup.sab);
  // onnxruntime-node does not take arrays over shared memory ("Invalid argument"), so each slot's
  // inputs are copied (one bulk copy per input) into arrays of the worker's own, one set per slot.
  const local = ring.slots.map((s) => s.inputs.map((a) => a.slice()));
  const taken = ring.slots.map(() => false);
  let seen = Atomics.load(ring.ctl, 0);
  while (!ring.closed) {
    const due = ring.slots
      .filter((s) => !taken[s.index] && Atomics.load(ring.ctl, ring.word(s.index, 0)) === SUBMITTED)
      .sort((a, b) => ring.ctl[ring.word(a.index, 1)]! - ring.ctl[ring.word(b.index, 1)]!);
    for (const s of due) {
      taken[s.index] = true;
      void runSlot(session, ring, s.index, local[s.index]!, taken);
    }
    await waitChange(ring.ctl, 0, seen);
    seen = Atomics.load(ring.ctl, 0);
  }
}

async function runSlot(
  session: ModelSession,
  ring: RingMemory,
  s: number,
  local: TensorData[],
  taken: boolean[],
): Promise<void> {
  const slot = ring.slots[s]!;
  const rows = Atomics.load(ring.ctl, ring.word(s, 2));
  let state = DONE;
  try {
    const feeds: Record<string, FeedTensor> = {};
    ring.layout.inputs.forEach((t, i) => {
      const n = rows * t.rowElements;
      const mine = local[i]!.subarray(0, n);
      (mine as Float32Array).set(slot.inputs[i]!.subarray(0, n) as Float32Array);
      feeds[t.name] = { type: t.type, data: mine, dims: [rows, ...t.rowShape] };
    });
    const outputs = await session.run(feeds);
    ring.layout.outputs.forEach((t, i) => {
      const out = outputs[t.name];
      if (!out) throw new Error(`the model gave no output "${t.name}"`);
      const outRows = out.dims[0] ?? 1;
      const fits = out.data.length === outRows * t.rowElements && outRows <= ring.rows;
      if (!fits)
        throw new Error(`output "${t.name}" has shape [${out.dims.join(',')}], not [rows,${t.rowShape.join(',')}]`);
      (slot.outputs[i] as Float32Array).set(out.data as Float32Array);
      Atomics.store(ring.ctl, ring.word(s, 4 + i), outRows);
    });
  } catch (err) {
    ring.writeError(s, errorMessage(err));
    state = FAILED;
  }
  taken[s] = false;
  Atomics.store(ring.ctl, ring.word(s, 0), state);
  Atomics.notify(ring.ctl, ring.word(s, 0));
}
