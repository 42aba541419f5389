// A cached infer answer (gateway cache, data plane): the replica's answer without its "id", kept as
// its JSON part and its binary tensors, so a hit is answered with the asker's own id; and its byte
// form for Redis.
import { BINARY_HEADER_LENGTH } from '../../common/wire.js';
import { findTopLevelMember } from './json-scan.js';

export interface CachedAnswer {
  contentType: string;
  /** Triton's binary extension: `tail` holds the tensors and the answer carries Inference-Header-Content-Length. */
  binary: boolean;
  /** The JSON part without its top-level "id" member. */
  head: Buffer;
  /** Where an "id" member goes back in: just after the opening brace. */
  idAt: number;
  tail: Buffer;
  /** The model_version the replica reported, if any. */
  version: string | undefined;
}

/** Bytes an answer holds in memory (with a little for its object), for the cache's byte limit. */
export function answerBytes(a: CachedAnswer): number {
  return a.head.length + a.tail.length + a.contentType.length + 64;
}

/** The answer worth keeping from a replica's 200 (raw header list and whole body), or undefined. */
export function answerFromReply(rawHeaders: readonly Buffer[], body: Buffer): CachedAnswer | undefined {
  let contentType = 'application/json';
  let headerLength: number | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toString('latin1').toLowerCase();
    if (name === 'content-type') contentType = rawHeaders[i + 1]!.toString('latin1');
    else if (name === BINARY_HEADER_LENGTH) headerLength = Number(rawHeaders[i + 1]!.toString('latin1'));
  }
  if (
    headerLength !== undefined &&
    !(Number.isInteger(headerLength) && headerLength >= 0 && headerLength <= body.length)
  )
    return undefined;
  const jsonEnd = headerLength ?? body.length;
  const scan = findTopLevelMember(body, 'id', jsonEnd);
  if (!scan.ok) return undefined;
  const m = scan.member;
  const head =
    m === undefined
      ? Buffer.from(body.subarray(0, jsonEnd))
      : Buffer.concat([body.subarray(0, m.start), body.subarray(m.end, jsonEnd)]);
  const v = findTopLevelMember(head, 'model_version');
  let version: string | undefined;
  if (v.ok && v.member) {
    const raw: unknown = JSON.parse(head.toString('utf8', v.member.valueStart, v.member.valueEnd));
    if (typeof raw === 'string' || typeof raw === 'number') version = String(raw);
  }
  return {
    contentType,
    binary: headerLength !== undefined,
    head,
    idAt: scan.openAt + 1,
    tail: Buffer.from(body.subarray(jsonEnd)),
    version,
  };
}

/** The body of a hit for a request whose id is `idJson` (raw JSON text; undefined: none). */
export function answerBody(
  a: CachedAnswer,
  idJson: string | undefined,
): { body: Buffer; headerLength: number | undefined } {
  let head = a.head;
  if (idJson !== undefined) {
    // Every answer of ours has outputs after the brace; an empty object would take no comma.
    const empty = a.head[skipSpaces(a.head, a.idAt)] === 0x7d;
    head = Buffer.concat([
      a.head.subarray(0, a.idAt),
      Buffer.from(`"id":${idJson}${empty ? '' : ','}`),
      a.head.subarray(a.idAt),
    ]);
  }
  const body = a.tail.length === 0 ? head : Buffer.concat([head, a.tail]);
  return { body, headerLength: a.binary ? head.length : undefined };
}

function skipSpaces(b: Buffer, i: number): number {
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return i;
}

const FORMAT = 1;

/** The answer as bytes for Redis: format, flags, lengths, then content type, head and tail. */
export function encodeAnswer(a: CachedAnswer): Buffer {
  const ct = Buffer.from(a.contentType, 'latin1');
  const ver = Buffer.from(a.version ?? '', 'utf8');
  const fixed = Buffer.alloc(2 + 4 * 5);
  fixed[0] = FORMAT;
  fixed[1] = (a.binary ? 1 : 0) | (a.version === undefined ? 0 : 2);
  [ct.length, ver.length, a.head.length, a.tail.length, a.idAt].forEach((n, k) => fixed.writeUInt32LE(n, 2 + 4 * k));
  return Buffer.concat([fixed, ct, ver, a.head, a.tail]);
}

/** The answer back from encodeAnswer's bytes; undefined for anything else (another format, cut short). */
export function decodeAnswer(b: Buffer): CachedAnswer | undefined {
  if (b.length < 22 || b[0] !== FORMAT) return undefined;
  const [ctLen, verLen, headLen, tailLen, idAt] = [0, 1, 2, 3, 4].map((k) => b.readUInt32LE(2 + 4 * k)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (22 + ctLen + verLen + headLen + tailLen !== b.length || idAt > headLen) return undefined;
  let o = 22;
  const take = (n: number) => b.subarray(o, (o += n));
  const contentType = take(ctLen).toString('latin1');
  const ver = take(verLen).toString('utf8');
  return {
    contentType,
    binary: (b[1]! & 1) === 1,
    version: (b[1]! & 2) === 2 ? ver : undefined,
    head: take(headLen),
    tail: take(tailLen),
    idAt,
  };
}
