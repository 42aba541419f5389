// Parsing of the control messages the controller writes to the gateway's stdin (gateway, data
// plane): one JSON object a line, validated by hand so a bad line is reported and skipped.
import type { GatewayControl, ReplicaEndpoint } from '../common/wire.js';
import { parseFrameAddress } from '../common/frames/tcp.js';
import { parseAuth } from './auth/control.js';

/** Parses one stdin line into a GatewayControl; throws an Error saying what is wrong. */
export function parseControlLine(line: string): GatewayControl {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    throw new Error('not JSON: expected {"type":"replicas","replicas":[...]} or {"type":"drain"}');
  }
  return parseControl(msg);
}

/** Checks one JSON-parsed control message; throws an Error saying what is wrong. */
export function parseControl(msg: unknown): GatewayControl {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
    throw new Error('expected a JSON object with a "type"');
  const m = msg as Record<string, unknown>;
  if (m.type === 'drain') return { type: 'drain' };
  if (m.type === 'auth') return { type: 'auth', auth: parseAuth(m.auth) };
  if (m.type !== 'replicas')
    throw new Error(`unknown type ${JSON.stringify(m.type)}: expected "replicas", "auth" or "drain"`);
  if (!Array.isArray(m.replicas)) throw new Error('"replicas" must be an array of {id, url, ready}');
  const seen = new Set<string>();
  const replicas = m.replicas.map((r, i) => {
    const ep = parseEndpoint(r, i);
    if (seen.has(ep.id)) throw new Error(`replicas[${i}].id "${ep.id}" appears twice`);
    seen.add(ep.id);
    return ep;
  });
  const seq = m.seq;
  if (seq !== undefined && !(typeof seq === 'number' && Number.isInteger(seq) && seq >= 0))
    throw new Error('"seq" must be a whole number');
  const abort = m.abort;
  if (abort !== undefined && !(Array.isArray(abort) && abort.every((id) => typeof id === 'string')))
    throw new Error('"abort" must be an array of replica ids');
  const weights = m.weights;
  if (
    weights !== undefined &&
    !(
      typeof weights === 'object' &&
      weights !== null &&
      !Array.isArray(weights) &&
      Object.values(weights).every((w) => typeof w === 'number' && w >= 0 && Number.isFinite(w))
    )
  ) {
    throw new Error('"weights" must be an object of version: weight >= 0');
  }
  return {
    type: 'replicas',
    replicas,
    ...(seq === undefined ? {} : { seq }),
    ...(abort === undefined ? {} : { abort: abort as string[] }),
    ...(weights === undefined ? {} : { weights: weights as Record<string, number> }),
  };
}

function parseEndpoint(r: unknown, i: number): ReplicaEndpoint {
  if (typeof r !== 'object' || r === null) throw new Error(`replicas[${i}] must be an object {id, url, ready}`);
  const { id, url, ready, version, modelDigest, frameSocket, frameAddress } = r as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') throw new Error(`replicas[${i}].id must be a non-empty string`);
  if (typeof url !== 'string' || !isHttpUrl(url))
    throw new Error(`replicas[${i}].url must be an http:// base URL, got ${JSON.stringify(url)}`);
  if (typeof ready !== 'boolean') throw new Error(`replicas[${i}].ready must be true or false`);
  if (version !== undefined && typeof version !== 'string') throw new Error(`replicas[${i}].version must be a string`);
  if (modelDigest !== undefined && (typeof modelDigest !== 'string' || modelDigest === ''))
    throw new Error(`replicas[${i}].modelDigest must be a non-empty string`);
  if (frameSocket !== undefined && (typeof frameSocket !== 'string' || !frameSocket.startsWith('/')))
    throw new Error(`replicas[${i}].frameSocket must be an absolute path`);
  if (frameAddress !== undefined && (typeof frameAddress !== 'string' || parseFrameAddress(frameAddress) === undefined))
    throw new Error(`replicas[${i}].frameAddress must be "host:port", got ${JSON.stringify(frameAddress)}`);
  return {
    id,
    url,
    ready,
    ...(version === undefined ? {} : { version }),
    ...(modelDigest === undefined ? {} : { modelDigest }),
    ...(frameSocket === undefined ? {} : { frameSocket }),
    ...(frameAddress === undefined ? {} : { frameAddress }),
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' && (u.pathname === '/' || u.pathname === '') && u.search === '';
  } catch {
    return false;
  }
}
