// Incremental HTTP/1.1 response parser for the load client (loadtest): status line, the few headers
// the client needs, and Content-Length, chunked or close-delimited bodies, fed chunks split anywhere.
import { InferenceBodyProbe } from './body-probe.js';

/** Largest response head accepted; more is a protocol error (a server, not a load client, problem). */
export const MAX_HEAD_BYTES = 64 * 1024;

const enum State {
  Head,
  Length,
  Eof,
  ChunkSize,
  ChunkExt,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  TrailerStart,
  TrailerLine,
  TrailerLineLf,
  TrailerEndLf,
  Done,
}

const CR = 13;
const LF = 10;
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
  /** Body pieces, in order (only when keepBody). */
  readonly body: Buffer[] = [];
  keepBody = false;
  private state = State.Head;
  private head: Buffer | undefined;
  private remaining = 0;

  /** Checks every body as it is read, when asked for: `probe.passed` once the response is done. */
  readonly probe: InferenceBodyProbe | undefined;

  /**
   * @param copyBody copy kept body bytes out of each chunk (the caller reuses its read buffer)
   * @param probeBodies check each body for the shape of an inference response (see body-probe.ts)
   */
  constructor(private readonly copyBody = false, probeBodies = false) {
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
      switch (this.state) {
        case State.Done:
          return { used: i - start, done: true };
        case State.Head: {
          // Only after a 1xx interim answer: the real head follows.
          const r = this.parseHead(chunk, i);
          if (typeof r === 'string') return { error: r };
          if (r < 0) return { used: n - start, done: false };
          i = r;
          break;
        }
        case State.Length: {
          const take = Math.min(this.remaining, n - i);
          this.onBody(chunk, i, i + take);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = State.Done;
          break;
        }
        case State.Eof:
          this.onBody(chunk, i, n);
          i = n;
          break;
        case State.ChunkSize: {
          const c = chunk[i++]!;
          const digit = hexValue(c);
          if (digit >= 0) {
            this.remaining = this.remaining * 16 + digit;
            if (this.remaining > Number.MAX_SAFE_INTEGER / 32) return { error: 'chunk size too large' };
          } else if (c === CR) this.state = State.ChunkSizeLf;
          else if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) this.state = State.ChunkExt;
          else return { error: 'bad chunk size' };
          break;
        }
        case State.ChunkExt:
          if (chunk[i++] === CR) this.state = State.ChunkSizeLf;
          break;
        case State.ChunkSizeLf:
          if (chunk[i++] !== LF) return { error: 'bad chunk size line' };
          this.state = this.remaining === 0 ? State.TrailerStart : State.ChunkData;
          break;
        case State.ChunkData: {
          const take = Math.min(this.remaining, n - i);
          this.onBody(chunk, i, i + take);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = State.ChunkDataCr;
          break;
        }
        case State.ChunkDataCr:
          if (chunk[i++] !== CR) return { error: 'chunk not followed by CRLF' };
          this.state = State.ChunkDataLf;
          break;
        case State.ChunkDataLf:
          if (chunk[i++] !== LF) return { error: 'chunk not followed by CRLF' };
          this.state = State.ChunkSize;
          break;
        case State.TrailerStart:
          this.state = chunk[i++] === CR ? State.TrailerEndLf : State.TrailerLine;
          break;
        case State.TrailerLine:
          if (chunk[i++] === CR) this.state = State.TrailerLineLf;
          break;
        case State.TrailerLineLf:
          if (chunk[i++] !== LF) return { error: 'bad trailer' };
          this.state = State.TrailerStart;
          break;
        case State.TrailerEndLf:
          if (chunk[i++] !== LF) return { error: 'bad end of chunked body' };
          this.state = State.Done;
          break;
      }
    }
    return { used: i - start, done: false };
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
    const eol = text.indexOf('\r\n');
    const statusLine = eol < 0 ? text : text.slice(0, eol);
    if (!statusLine.startsWith('HTTP/1.') || statusLine.charCodeAt(8) !== 0x20) return 'bad status line';
    const status = Number(statusLine.slice(9, 12));
    if (!Number.isInteger(status) || status < 100 || status > 999) return 'bad status line';
    const http10 = statusLine.charCodeAt(7) === 0x30;
    let contentLength = -1;
    let chunked = false;
    let connection = '';
    let keepAliveTimeoutMs: number | undefined;
    let binaryHeaderLength: number | undefined;
    let pos = eol < 0 ? text.length : eol + 2;
    while (pos < text.length) {
      let lineEnd = text.indexOf('\r\n', pos);
      if (lineEnd < 0) lineEnd = text.length;
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon > lineEnd) return 'bad header line';
      // Only a few names matter: compare lengths first so most lines cost no lowercasing.
      const nameLength = colon - pos;
      if (nameLength === 14 || nameLength === 17 || nameLength === 10 || nameLength === 31) {
        const name = text.slice(pos, colon).toLowerCase();
        const value = text.slice(colon + 1, lineEnd).trim();
        if (name === 'content-length') {
          if (!/^\d+$/.test(value) || (contentLength >= 0 && Number(value) !== contentLength)) return 'bad content-length';
          contentLength = Number(value);
        } else if (name === 'transfer-encoding') {
          chunked = value.toLowerCase().endsWith('chunked');
        } else if (name === 'connection') {
          connection = value.toLowerCase();
        } else if (name === 'keep-alive') {
          const m = /timeout=(\d+)/i.exec(value);
          if (m) keepAliveTimeoutMs = Number(m[1]) * 1000;
        } else if (name === 'inference-header-content-length') {
          binaryHeaderLength = Number(value);
        }
      }
      pos = lineEnd + 2;
    }
    if (status < 200 && status !== 101) {
      // An interim answer (100 Continue, 103 Early Hints): the final one follows.
      this.state = State.Head;
      return undefined;
    }
    this.statusCode = status;
    this.keepAliveTimeoutMs = keepAliveTimeoutMs;
    this.binaryHeaderLength = binaryHeaderLength;
    this.probe?.start(binaryHeaderLength);
    this.keepAlive = http10 ? connection.includes('keep-alive') : !connection.includes('close');
    if (status === 204 || status === 304) this.state = State.Done;
    else if (chunked) {
      this.state = State.ChunkSize;
      this.remaining = 0;
    } else if (contentLength >= 0) {
      this.remaining = contentLength;
      this.state = contentLength === 0 ? State.Done : State.Length;
    } else {
      this.state = State.Eof;
      this.keepAlive = false;
    }
    return undefined;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
