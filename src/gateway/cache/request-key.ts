// The cache key of an infer request (gateway cache, data plane): the model and version from the path,
// and a SHA-256 of the body without its top-level "id": the input tensors (JSON data or the binary
// extension's raw bytes), the requested outputs and the parameters that choose the answer's form.
import { createHash, hash } from 'node:crypto';
import { findTopLevelMember } from './json-scan.js';

/** What the cache learned about a request before it is answered. */
export interface RequestKey {
  model: string;
  /** The version the path names, or undefined ("the served one"). */
  pathVersion: string | undefined;
  /** Digest of everything that decides the answer, and the request's form. */
  digest: string;
  /** The request's "id" value as written (raw JSON), to put into a cached answer; undefined: none. */
  idJson: string | undefined;
}

/** `/v2/models/{name}[/versions/{v}]/infer` → name and version; undefined for any other path. */
export function parseInferPath(url: string): { model: string; version: string | undefined } | undefined {
  const q = url.indexOf('?');
  const parts = (q < 0 ? url : url.slice(0, q)).split('/');
  const name = (i: number) => (parts[i]!.includes('%') ? decodeURIComponent(parts[i]!) : parts[i]!);
  // ['', 'v2', 'models', name, 'infer'] or [..., name, 'versions', v, 'infer']
  if (parts[1] !== 'v2' || parts[2] !== 'models' || parts.at(-1) !== 'infer') return undefined;
  if (parts.length === 5 && parts[3]) return { model: name(3), version: undefined };
  if (parts.length === 7 && parts[3] && parts[4] === 'versions' && parts[5])
    return { model: name(3), version: name(5) };
  return undefined;
}

/**
 * The key of a request with `body`, whose JSON part is its first `binaryHeaderLength` bytes (Triton's
 * binary extension) or all of it; undefined when it cannot be cached (not one JSON object, a header
 * length past the body, a doubled "id", an "id" that is not a string): such a request is forwarded as usual.
 */
export function requestKey(url: string, body: Buffer, binaryHeaderLength: number | undefined): RequestKey | undefined {
  const path = parseInferPath(url);
  if (path === undefined) return undefined;
  const jsonEnd = binaryHeaderLength ?? body.length;
  if (jsonEnd > body.length) return undefined;
  const scan = findTopLevelMember(body, 'id', jsonEnd);
  if (!scan.ok) return undefined;
  const m = scan.member;
  // A replica refuses an id that is not a string (400); the key leaves the id out, so such a request is not keyed.
  if (m !== undefined && body[m.valueStart] !== 0x22) return undefined;
  // The form (JSON or binary, and where the JSON ends) leads the digest, so no two layouts collide.
  const form = binaryHeaderLength === undefined ? 'json' : `binary ${jsonEnd - (m ? m.end - m.start : 0)}`;
  // Most requests carry no id: one call hashes the body as it is (no hash object to build).
  let sum: string;
  if (m === undefined) sum = hash('sha256', body, 'base64url');
  else {
    const h = createHash('sha256').update(body.subarray(0, m.start)).update(body.subarray(m.end, jsonEnd));
    if (jsonEnd < body.length) h.update(body.subarray(jsonEnd));
    sum = h.digest('base64url');
  }
  return {
    model: path.model,
    pathVersion: path.version,
    digest: `${form} ${sum}`,
    idJson: m === undefined ? undefined : body.toString('utf8', m.valueStart, m.valueEnd),
  };
}
