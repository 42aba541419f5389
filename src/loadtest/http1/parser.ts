// Incremental HTTP/1.1 response parser for the load client (loadtest): status line, the few headers
// the client needs, and Content-Length, chunked or close-delimited bodies, fed chunks split anywhere.
import { InferenceBodyProbe } from '../body-probe.js';
import { afterFrameByte, hexValue, State } from './chunked.js';
import { readResponseHead, ResponseHead } from './head.js';

/** Largest response head accepted; more is a protocol error (a server, not a load client, problem). */
export const MAX_HEAD_BYTES = 64 * 1024;

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** What `execute` made of a chunk: the bytes it used, and whether the response is complete. */
export type ParseStep = { used: number; done: boolean } | { error: string };

/**
 * Parses one response at a time (call `reset` before the next). Keeps the body only when
 * `keepBody` is set for this response, so a load test not checking answers allocates nothing for them.
 */
export class ResponseParser {
  statusCode = 0;
  /** False after `Connection: close`, an HTTP/1.0 answer without keep-alive, or a close-delimited body. */
  keepAlive = true;
  /** The server's `Keep-Alive: timeout=N` hint in milliseconds, when given. */
  keepAliveTimeoutMs: number | undefined;
  /** Value of Inference-Header-Content-Length (binary tensor extension), when given. */
  binaryHeaderLength: number | undefined;
  /** X-Model-Version of the answer; '' when absent. */
  modelVersion = '';
  /** Body pieces, in order (only when keepBody). */
  readonly body: Buffer[] = [];
  keepBody = false;
  private state = State.Head;
  private head: Buffer | undefined;
  private remaining = 0;
  /** The last head read, reused for every response. */
  private readonly parsedHead = new ResponseHead();

  /** Checks every body as it is read, when asked for: `probe.passed` once the response is done. */
  readonly probe: InferenceBodyProbe | undefined;

  /**
   * @param copyBody copy kept body bytes out of each chunk (the caller reuses its read buffer)
   * @param probeBodies check each body for the shape of an inference response (see body-probe.ts)
   */
  constructor(
    private readonly copyBody = false,
    probeBodies = false,
  ) {
    this.probe = probeBodies ? new InferenceBodyProbe() : undefined;
  }

  /** Body bytes `chunk[from, to)`: kept when asked for, and shown to the probe. */
  private onBody(chunk: Buffer, from: number, to: number): void {
    if (this.keepBody) {
      const piece = chunk.subarray(from, to);
      this.body.push(this.copyBody ? Buffer.from(piece) : piece);
    }
    if (this.probe !== undefined) this.probe.feed(chunk, from, to);
  }

  /** Prepares for the next response on the connection. */
  reset(keepBody: boolean): void {
    this.statusCode = 0;
    this.keepAlive = true;
    this.keepAliveTimeoutMs = undefined;
    this.binaryHeaderLength = undefined;
    this.modelVersion = '';
    this.body.length = 0;
    this.keepBody = keepBody;
    this.state = State.Head;
    this.head = undefined;
    this.remaining = 0;
  }

  /** True once a head has been seen and the body runs to the end of the connection. */
  get endsAtEof(): boolean {
    return this.state === State.Eof;
  }

  /** The connection ended: completes a close-delimited body; anything else is cut short. */
  finishAtEof(): boolean {
    if (this.state !== State.Eof) return false;
    this.state = State.Done;
    return true;
  }

  /** Feeds `chunk` from `start`; stops at the end of the response (unused bytes are left). */
  execute(chunk: Buffer, start = 0): ParseStep {
    let i = start;
    const n = chunk.length;
    if (this.state === State.Head) {
      const r = this.parseHead(chunk, i);
      if (typeof r === 'string') return { error: r };
      if (r < 0) return { used: n - start, done: false };
      i = r;
    }
    while (i < n || this.state === State.Done) {
      if (this.state === State.Done) return { used: i - start, done: true };
      const r = this.step(chunk, i);
      if (typeof r === 'string') return { error: r };
      // Only a head not complete yet (after a 1xx answer) gives -1: the rest of the chunk is kept.
      if (r < 0) return { used: n - start, done: false };
      i = r;
    }
    return { used: i - start, done: false };
  }

  /** One step of the body state from `chunk[i]`: the index after what it used, -1 or an error. */
  private step(chunk: Buffer, i: number): number | string {
    switch (this.state) {
      case State.Head:
        // Only after a 1xx interim answer: the real head follows.
        return this.parseHead(chunk, i);
      case State.Length:
        return this.readCounted(chunk, i, State.Done);
      case State.ChunkData:
        return this.readCounted(chunk, i, State.ChunkDataCr);
      case State.Eof:
        this.onBody(chunk, i, chunk.length);
        return chunk.length;
      default:
        return this.readFraming(chunk, i);
    }
  }

  /** Chunked framing from `i`, a byte at a time, up to the next data or the end of the body. */
  private readFraming(chunk: Buffer, i: number): number | string {
    const n = chunk.length;
    while (i < n && this.state !== State.ChunkData && this.state !== State.Done) {
      const err = this.frameByte(chunk[i++]!);
      if (err !== undefined) return err;
    }
    return i;
  }

  /** Up to `remaining` body bytes from `i`; moves to `next` once they are all read. */
  private readCounted(chunk: Buffer, i: number, next: State): number {
    const take = Math.min(this.remaining, chunk.length - i);
    this.onBody(chunk, i, i + take);
    this.remaining -= take;
    if (this.remaining === 0) this.state = next;
    return i + take;
  }

  /** One byte of chunk framing (size line, CRLF after the data, trailers); an error message if bad. */
  private frameByte(c: number): string | undefined {
    if (this.state === State.ChunkSize) {
      const digit = hexValue(c);
      if (digit >= 0) {
        this.remaining = this.remaining * 16 + digit;
        return this.remaining > Number.MAX_SAFE_INTEGER / 32 ? 'chunk size too large' : undefined;
      }
    }
    const next = afterFrameByte(this.state, c, this.remaining);
    if (typeof next === 'string') return next;
    this.state = next;
    return undefined;
  }

  /** Index just past the head, -1 when it is not complete yet (kept), or an error message. */
  private parseHead(chunk: Buffer, start: number): number | string {
    let buf = chunk;
    let from = start;
    let offset = 0;
    if (this.head !== undefined) {
      // A head split across reads (rare): join the pieces; heads are small.
      offset = this.head.length;
      buf = Buffer.concat([this.head, chunk.subarray(start)]);
      from = 0;
    }
    const end = buf.indexOf(CRLFCRLF, Math.max(from, offset - 3));
    if (end < 0) {
      if (buf.length - from > MAX_HEAD_BYTES) return 'response head too large';
      this.head = from === 0 && buf !== chunk ? buf : Buffer.from(buf.subarray(from));
      return -1;
    }
    if (end - from > MAX_HEAD_BYTES) return 'response head too large';
    this.head = undefined;
    const err = this.readHead(buf.toString('latin1', from, end));
    if (err) return err;
    // Index in `chunk` just past the blank line.
    return end + 4 - offset + (buf === chunk ? 0 : start);
  }

  /** Reads the status line and headers; sets the body state. */
  private readHead(text: string): string | undefined {
    const head = this.parsedHead;
    const err = readResponseHead(text, head);
    if (err !== undefined) return err;
    const status = head.status;
    if (status < 200 && status !== 101) {
      // An interim answer (100 Continue, 103 Early Hints): the final one follows.
      this.state = State.Head;
      return undefined;
    }
    this.statusCode = status;
    this.keepAliveTimeoutMs = head.keepAliveTimeoutMs;
    this.binaryHeaderLength = head.binaryHeaderLength;
    this.modelVersion = head.modelVersion;
    this.probe?.start(head.binaryHeaderLength);
    this.keepAlive = head.http10 ? head.connection.includes('keep-alive') : !head.connection.includes('close');
    if (status === 204 || status === 304) this.state = State.Done;
    else if (head.chunked) {
      this.state = State.ChunkSize;
      this.remaining = 0;
    } else if (head.contentLength >= 0) {
      this.remaining = head.contentLength;
      this.state = head.contentLength === 0 ? State.Done : State.Length;
    } else {
      this.state = State.Eof;
      this.keepAlive = false;
    }
    return undefined;
  }
}
