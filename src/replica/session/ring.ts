// The shared-memory ring between a replica's main thread and its session worker (data plane,
// replica): the layout both sides compute from the session's signature, and the views of one
// SharedArrayBuffer they both hold. Each slot carries one batch: its rows of every input (written
// by the main thread), its rows of every output (written by the worker) and a small header.
// Control words (Int32Array `ctl`): [0] doorbell, bumped and notified for every submitted slot;
// [1] closed (the worker stops serving this ring); then per slot SLOT_WORDS + one per output.
import type { SessionSignature } from '../../model/verify.js';
import { DATATYPES, type TensorData } from '../tensor.js';

/** One input or output as it lies in a slot: `rowElements` elements of `type` per row. */
export interface RingTensor {
  name: string;
  /** onnxruntime-node tensor type, e.g. "float32". */
  type: string;
  /** Dimensions after the batch dimension. */
  rowShape: number[];
  rowElements: number;
}

/** What a ring carries: every input and output with a row size known from the signature. */
export interface RingLayout {
  inputs: RingTensor[];
  outputs: RingTensor[];
}

/** Slot states (the header's first word). */
export const FREE = 0;
export const SUBMITTED = 1;
export const DONE = 2;
export const FAILED = 3;

/** Header words per slot before the outputs' row counts: state, ticket (order), rows, error bytes. */
const SLOT_WORDS = 4;
const ERROR_BYTES = 256;
const CTL_WORDS = 2;

const BY_ORT_TYPE = new Map(Object.values(DATATYPES).map((d) => [d.ortType, d]));

/**
 * The ring layout for `sig`, or undefined when some input or output has a row size not fixed by
 * the signature (a dynamic dimension after the batch, or a type the replica does not carry): such
 * a model's batches go by message instead.
 */
export function ringLayout(sig: SessionSignature): RingLayout | undefined {
  const side = (names: readonly string[], meta: SessionSignature['inputMetadata']): RingTensor[] | undefined => {
    const out: RingTensor[] = [];
    for (let i = 0; i < names.length; i++) {
      const m = meta[i] as { type?: string; shape?: ReadonlyArray<number | string> } | undefined;
      if (!m?.type || !m.shape || !BY_ORT_TYPE.has(m.type) || m.shape.length < 1) return undefined;
      const rowShape = m.shape.slice(1);
      if (!rowShape.every((d): d is number => typeof d === 'number' && d >= 0)) return undefined;
      out.push({ name: names[i]!, type: m.type, rowShape, rowElements: rowShape.reduce((a, b) => a * b, 1) });
    }
    return out;
  };
  const inputs = side(sig.inputNames, sig.inputMetadata);
  const outputs = side(sig.outputNames, sig.outputMetadata);
  return inputs && outputs ? { inputs, outputs } : undefined;
}

/** A typed array of `t`'s type over `length` elements of `buffer` from `byteOffset`. */
function view(t: RingTensor, buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData {
  const { ctor } = BY_ORT_TYPE.get(t.type)!;
  return new ctor(buffer, byteOffset, length);
}

/** One slot's arrays: full-size inputs and outputs (`rows` rows each) and its error bytes. */
export interface RingSlot {
  index: number;
  inputs: TensorData[];
  outputs: TensorData[];
  error: Uint8Array;
}

/** A ring of `slots` slots of `rows` rows each, over `sab` (made here when not given). */
export class RingMemory {
  readonly sab: SharedArrayBuffer;
  readonly ctl: Int32Array;
  readonly slots: RingSlot[] = [];
  private readonly words: number;

  constructor(
    readonly layout: RingLayout,
    readonly rows: number,
    slotCount: number,
    sab?: SharedArrayBuffer,
  ) {
    this.words = SLOT_WORDS + layout.outputs.length;
    const ctlBytes = align((CTL_WORDS + slotCount * this.words) * 4);
    const tensors = [...layout.inputs, ...layout.outputs];
    const slotBytes =
      tensors.reduce((n, t) => n + align(rows * t.rowElements * BY_ORT_TYPE.get(t.type)!.bytesPerElement), 0) +
      ERROR_BYTES;
    this.sab = sab ?? new SharedArrayBuffer(ctlBytes + slotCount * slotBytes);
    this.ctl = new Int32Array(this.sab, 0, CTL_WORDS + slotCount * this.words);
    for (let s = 0; s < slotCount; s++) {
      let at = ctlBytes + s * slotBytes;
      const arrays = tensors.map((t) => {
        const a = view(t, this.sab, at, rows * t.rowElements);
        at += align(a.byteLength);
        return a;
      });
      const n = layout.inputs.length;
      this.slots.push({
        index: s,
        inputs: arrays.slice(0, n),
        outputs: arrays.slice(n),
        error: new Uint8Array(this.sab, at, ERROR_BYTES),
      });
    }
  }

  /** Index in `ctl` of slot `s`'s header word `w` (0 state, 1 ticket, 2 rows, 3 error bytes, 4+ output rows). */
  word(s: number, w: number): number {
    return CTL_WORDS + s * this.words + w;
  }

  /** Rings the doorbell: the worker looks for submitted slots. */
  ring(): void {
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
  }

  /** Tells the worker to stop serving this ring. */
  close(): void {
    Atomics.store(this.ctl, 1, 1);
    this.ring();
  }

  get closed(): boolean {
    return Atomics.load(this.ctl, 1) === 1;
  }

  /** Writes a failed run's one-line message into slot `s` (cut to the error area). */
  writeError(s: number, message: string): void {
    const { written } = new TextEncoder().encodeInto(message, this.slots[s]!.error);
    Atomics.store(this.ctl, this.word(s, 3), written);
  }

  /** The message a failed run of slot `s` left. */
  readError(s: number): string {
    const n = Atomics.load(this.ctl, this.word(s, 3));
    return new TextDecoder().decode(this.slots[s]!.error.slice(0, n));
  }
}

/** Atomics.waitAsync (Node 16+; not in this TypeScript lib): resolves once `ctl[index]` is notified, or at once when it no longer holds `value`. */
export async function waitChange(ctl: Int32Array, index: number, value: number): Promise<void> {
  const wait = (Atomics as unknown as AtomicsWaitAsync).waitAsync(ctl, index, value);
  if (wait.async) await wait.value;
}

interface AtomicsWaitAsync {
  waitAsync(
    ctl: Int32Array,
    index: number,
    value: number,
  ): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** `bytes` rounded up to 8, so every array in the buffer is aligned for its element size. */
function align(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}
