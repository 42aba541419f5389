// The frame codec between the gateway and its replicas (common, data plane): a frame is a u32 length
// (bytes after it), a u32 request id, a u8 type and a payload; docs/guide/replica.md has the layout.
// Pure: buffers in, buffers out. A malformed payload throws a FrameError.

/** Bytes before a frame's payload: u32 length, u32 request id, u8 type. */
export const FRAME_HEAD_BYTES = 9;
/** Bytes the length counts besides the payload (the id and the type). */
export const FRAME_ID_TYPE_BYTES = 5;

/** Frame types. */
export const FrameType = {
  /** Gateway to replica: method, path, headers, body. */
  request: 1,
  /** Replica to gateway: status, headers, body. */
  response: 2,
  /** Gateway to replica, first on a TCP connection (id 0): the cluster token (UTF-8), nothing else. */
  hello: 3,
} as const;

/** The longest hello frame a replica reads (its length field, bytes): anything longer closes the connection. */
export const HELLO_MAX_FRAME_BYTES = 1024;

/** Room a request frame may take beyond its body: method, path and headers (bytes). */
export const FRAME_META_SLACK_BYTES = 64 * 1024;

/** A frame whose bytes break the format: the connection that carried it cannot be trusted further. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** A request frame's payload, decoded. Header names and values are latin1, as node:http's rawHeaders. */
export interface FrameRequest {
  method: string;
  path: string;
  /** Flat [name, value, ...]. */
  headers: string[];
  body: Buffer;
}

/** A response frame's payload, decoded: headers as undici's rawHeaders give them (views into the frame). */
export interface FrameResponse {
  status: number;
  /** Flat [name, value, ...]. */
  headers: Buffer[];
  body: Buffer;
}

/**
 * The head of a request frame: everything but the body, whose length the frame's length counts (the
 * caller writes the body after it, uncopied). Throws a RangeError for a method, path, header name or
 * value over 65,535 bytes.
 */
export function encodeRequestHead(
  id: number,
  method: string,
  path: string,
  headers: readonly string[],
  bodyBytes: number,
): Buffer {
  const m = Buffer.byteLength(method, 'latin1');
  if (m > 255) throw new RangeError(`method of ${m} bytes`);
  let meta = 1 + m + 2 + Buffer.byteLength(path, 'latin1') + 2;
  for (const h of headers) meta += 2 + Buffer.byteLength(h, 'latin1');
  const out = Buffer.allocUnsafe(FRAME_HEAD_BYTES + meta);
  out.writeUInt32BE(FRAME_ID_TYPE_BYTES + meta + bodyBytes, 0);
  out.writeUInt32BE(id, 4);
  out[8] = FrameType.request;
  let o = FRAME_HEAD_BYTES;
  out[o++] = m;
  o += out.write(method, o, 'latin1');
  o = putString(out, o, path);
  o = out.writeUInt16BE(pairCount(headers.length), o);
  for (const h of headers) o = putString(out, o, h);
  return out;
}

/** The hello frame that opens a TCP frame connection: id 0, the token as its payload. */
export function encodeHello(token: string): Buffer {
  const n = Buffer.byteLength(token, 'utf8');
  if (FRAME_ID_TYPE_BYTES + n > HELLO_MAX_FRAME_BYTES) throw new RangeError(`a token of ${n} bytes`);
  const out = Buffer.allocUnsafe(FRAME_HEAD_BYTES + n);
  out.writeUInt32BE(FRAME_ID_TYPE_BYTES + n, 0);
  out.writeUInt32BE(0, 4);
  out[8] = FrameType.hello;
  out.write(token, FRAME_HEAD_BYTES, 'utf8');
  return out;
}

/** Decodes a request frame's payload; the body is a view into it. */
export function decodeRequest(payload: Buffer): FrameRequest {
  const r = new Reader(payload);
  const method = r.bytes(r.u8()).toString('latin1');
  const path = r.string();
  const pairs = r.u16();
  const headers: string[] = [];
  for (let i = 0; i < pairs * 2; i++) headers.push(r.string());
  return { method, path, headers, body: r.rest() };
}

/** The head of a response frame (the body follows it, written by the caller). */
export function encodeResponseHead(id: number, status: number, headers: readonly string[], bodyBytes: number): Buffer {
  let meta = 2 + 2;
  for (const h of headers) meta += 2 + Buffer.byteLength(h, 'latin1');
  const out = Buffer.allocUnsafe(FRAME_HEAD_BYTES + meta);
  out.writeUInt32BE(FRAME_ID_TYPE_BYTES + meta + bodyBytes, 0);
  out.writeUInt32BE(id, 4);
  out[8] = FrameType.response;
  let o = out.writeUInt16BE(status, FRAME_HEAD_BYTES);
  o = out.writeUInt16BE(pairCount(headers.length), o);
  for (const h of headers) o = putString(out, o, h);
  return out;
}

/** Decodes a response frame's payload; header names, values and the body are views into it. */
export function decodeResponse(payload: Buffer): FrameResponse {
  const r = new Reader(payload);
  const status = r.u16();
  if (status < 100 || status > 999) throw new FrameError(`response status ${status} is not an HTTP status`);
  const pairs = r.u16();
  const headers: Buffer[] = [];
  for (let i = 0; i < pairs * 2; i++) headers.push(r.bytes(r.u16()));
  return { status, headers, body: r.rest() };
}

function pairCount(entries: number): number {
  if (entries % 2 !== 0) throw new RangeError('headers must be [name, value] pairs');
  if (entries / 2 > 0xffff) throw new RangeError(`${entries / 2} headers`);
  return entries / 2;
}

function putString(out: Buffer, o: number, s: string): number {
  const n = Buffer.byteLength(s, 'latin1');
  if (n > 0xffff) throw new RangeError(`a header or path of ${n} bytes (at most 65535)`);
  o = out.writeUInt16BE(n, o);
  return o + out.write(s, o, 'latin1');
}

class Reader {
  private o = 0;
  constructor(private readonly b: Buffer) {}

  u8(): number {
    this.need(1);
    return this.b[this.o++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.b.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }

  string(): string {
    return this.bytes(this.u16()).toString('latin1');
  }

  rest(): Buffer {
    return this.b.subarray(this.o);
  }

  private need(n: number): void {
    if (this.o + n > this.b.length)
      throw new FrameError(`payload of ${this.b.length} bytes ends inside a field at byte ${this.o}`);
  }
}
