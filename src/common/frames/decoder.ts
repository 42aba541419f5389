// The incremental frame decoder (common, data plane): takes a socket's chunks as they come and calls
// back with whole frames. A frame that lies wholly inside one chunk is a view into it; one spread over
// chunks is copied once, into a buffer of its size allocated when its head arrives.
import { FRAME_HEAD_BYTES, FRAME_ID_TYPE_BYTES, FrameError } from './codec.js';

/** One frame: its request id, type and payload (after the 9-byte head). */
export interface Frame {
  id: number;
  type: number;
  payload: Buffer;
}

export interface DecoderOptions {
  /** The only frame type this side accepts; any other is a framing error. */
  type: number;
  /** The longest frame (its length field: bytes after it) accepted whole. */
  maxFrameBytes: number;
  onFrame(frame: Frame): void;
  /**
   * A longer frame: called with its id and length, and its payload skipped as it arrives (never held),
   * so the receiver can refuse it alone. Absent: a longer frame is a framing error.
   */
  onOversize?(id: number, frameBytes: number): void;
}

export class FrameDecoder {
  private readonly head = Buffer.alloc(FRAME_HEAD_BYTES);
  private headBytes = 0;
  /** The payload being filled across chunks, and how much of it is there. */
  private payload: Buffer | null = null;
  private filled = 0;
  private id = 0;
  private type = 0;
  /** Bytes of an oversized frame still to skip. */
  private skip = 0;
  /** Set at the first framing error: the decoder takes nothing more. */
  failed: FrameError | null = null;

  constructor(private o: DecoderOptions) {}

  /**
   * From the next frame on, accepts what `next` says instead (a replica's TCP connection: the hello
   * frame, then requests). Called from onFrame, it applies to the rest of the chunk being pushed.
   */
  expect(next: DecoderOptions): void {
    this.o = next;
  }

  /** True between frames: nothing of a frame is held (a connection that ends here ended cleanly). */
  get idle(): boolean {
    return this.headBytes === 0 && this.payload === null && this.skip === 0;
  }

  /** Feeds one chunk; returns the framing error that ends the stream, if any (then and later). */
  push(chunk: Buffer): FrameError | null {
    let at = 0;
    while (at < chunk.length && this.failed === null) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
      } else if (this.payload !== null) {
        const n = Math.min(this.payload.length - this.filled, chunk.length - at);
        chunk.copy(this.payload, this.filled, at, at + n);
        this.filled += n;
        at += n;
        if (this.filled === this.payload.length) this.emit(this.payload);
      } else if (this.headBytes === 0 && chunk.length - at >= FRAME_HEAD_BYTES) {
        at = this.begin(
          chunk,
          at + FRAME_HEAD_BYTES,
          chunk.readUInt32BE(at),
          chunk.readUInt32BE(at + 4),
          chunk[at + 8]!,
        );
      } else {
        const n = Math.min(FRAME_HEAD_BYTES - this.headBytes, chunk.length - at);
        chunk.copy(this.head, this.headBytes, at, at + n);
        this.headBytes += n;
        at += n;
        if (this.headBytes < FRAME_HEAD_BYTES) break;
        this.headBytes = 0;
        const h = this.head;
        at = this.begin(chunk, at, h.readUInt32BE(0), h.readUInt32BE(4), h[8]!);
      }
    }
    return this.failed;
  }

  /** A frame head was read (its payload starts at `start` in `chunk`); returns where reading goes on. */
  private begin(chunk: Buffer, start: number, length: number, id: number, type: number): number {
    if (length < FRAME_ID_TYPE_BYTES) return this.fail(`frame length ${length} is shorter than its id and type`);
    if (type !== this.o.type) return this.fail(`frame type ${type} where ${this.o.type} was expected`);
    const payloadBytes = length - FRAME_ID_TYPE_BYTES;
    if (length > this.o.maxFrameBytes) {
      if (this.o.onOversize === undefined)
        return this.fail(`frame of ${length} bytes is longer than the ${this.o.maxFrameBytes} accepted`);
      this.skip = payloadBytes;
      this.o.onOversize(id, length);
      return start;
    }
    this.id = id;
    this.type = type;
    if (chunk.length - start >= payloadBytes) {
      this.o.onFrame({ id, type, payload: chunk.subarray(start, start + payloadBytes) });
      return start + payloadBytes;
    }
    this.payload = Buffer.allocUnsafe(payloadBytes);
    this.filled = 0;
    return start;
  }

  private emit(payload: Buffer): void {
    this.payload = null;
    this.o.onFrame({ id: this.id, type: this.type, payload });
  }

  private fail(message: string): number {
    this.failed = new FrameError(message);
    return Number.MAX_SAFE_INTEGER;
  }
}
