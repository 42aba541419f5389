// The HTTP side of a run (loadtest): at most `connections` keep-alive sockets (see http1.ts), one
// request each at a time, a total time limit per request, and the classification of every answer.
import type { Http1Response } from './http1/connection.js';
import { buildRequest } from './http1/request.js';
import { Http1Pool } from './http1/http1.js';
import type { Outcome } from './recorder.js';
import type { Payload } from './payload.js';
import type { TensorMeta } from './oip.js';

const OK: Outcome = Object.freeze({ ok: true });
const BAD_RESPONSE: Outcome = Object.freeze({ ok: false, errorClass: 'bad_response' });
/** Distinct model versions a run tells apart (more are counted as "other"). */
const MAX_VERSIONS = 16;

/** Sends infer requests to one model; never throws for a failed request (failures are outcomes). */
export class InferClient {
  private readonly pool: Http1Pool;
  private readonly host: string;
  private readonly path: string;
  private readonly expectOutputs?: readonly TensorMeta[];
  /** Each payload's request bytes, built on first use: a run cycles through a few payloads. */
  private readonly requests = new WeakMap<Payload, Buffer>();
  /** The Authorization header of every request (empty without a token). */
  private readonly auth: Record<string, string>;
  /** One frozen outcome per error class (and model version), so an answer allocates nothing. */
  private readonly failures = new Map<string, Outcome>();
  /** One frozen success per model version an answer named (X-Model-Version). */
  private readonly oks = new Map<string, Outcome>();
  /** The model versions answers named so far, successes or not (at most MAX_VERSIONS). */
  private readonly versions = new Set<string>();

  constructor(
    baseUrl: string,
    modelPath: string,
    opts: {
      connections: number;
      timeoutMs: number;
      expectOutputs?: readonly TensorMeta[];
      token?: string;
      ca?: string;
    },
  ) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`${baseUrl}: only http:// and https:// URLs can be load tested`);
    const secure = url.protocol === 'https:';
    // undici (and WHATWG URL) write IPv6 hosts in brackets; net.connect wants them bare.
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.pool = new Http1Pool(hostname, Number(url.port || (secure ? 443 : 80)), {
      connections: opts.connections,
      timeoutMs: opts.timeoutMs,
      tls: secure,
      ca: opts.ca,
    });
    this.auth = opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` };
    this.host = url.host;
    this.path = `${url.pathname.replace(/\/$/, '')}${modelPath}/infer`;
    this.expectOutputs = opts.expectOutputs;
  }

  /**
   * Sends one request; resolves with its outcome when the response has ended, or with class
   * `timeout` once the time limit has passed since the call (connecting, waiting and reading the
   * body all count), closing the connection it was on.
   */
  send(payload: Payload): Promise<Outcome> {
    let bytes = this.requests.get(payload);
    if (bytes === undefined) {
      bytes = buildRequest(this.host, this.path, { ...payload.headers, ...this.auth }, payload.body);
      this.requests.set(payload, bytes);
    }
    const expect = this.expectOutputs;
    return new Promise<Outcome>((resolve) => {
      this.pool.request(bytes, expect !== undefined, (res, errorClass) =>
        resolve(res ? this.classify(res, expect) : this.failure(errorClass!)),
      );
    });
  }

  /**
   * A 2xx counts only when its body looks like an inference response (a cheap check on every
   * answer); with `expectOutputs` (--check-shape) it is also parsed and every output's shape checked.
   */
  private classify(res: Http1Response, expect: readonly TensorMeta[] | undefined): Outcome {
    const version = this.versionKey(res.modelVersion);
    if (res.status < 200 || res.status >= 300) return this.failure(`http_${res.status}`, version);
    if (!res.inferenceShaped) return this.failure('bad_response', version);
    if (expect !== undefined) {
      const bytes = res.body ?? Buffer.alloc(0);
      const json = bytes.subarray(0, res.binaryHeaderLength ?? bytes.length);
      if (!checkOutputs(json, expect)) return this.failure('bad_response', version);
    }
    if (version === '') return OK;
    let o = this.oks.get(version);
    if (o === undefined) this.oks.set(version, (o = Object.freeze({ ok: true, version })));
    return o;
  }

  /** The version as recorded: at most MAX_VERSIONS distinct ones, the rest as "other" (a server that names a new one each time). */
  private versionKey(version: string): string {
    if (version === '' || this.versions.has(version)) return version;
    if (this.versions.size >= MAX_VERSIONS) return 'other';
    this.versions.add(version);
    return version;
  }

  private failure(errorClass: string, version = ''): Outcome {
    if (errorClass === 'bad_response' && version === '') return BAD_RESPONSE;
    const key = `${errorClass}\n${version}`;
    let o = this.failures.get(key);
    if (o === undefined) {
      o = Object.freeze(version === '' ? { ok: false, errorClass } : { ok: false, errorClass, version });
      this.failures.set(key, o);
    }
    return o;
  }

  async close(): Promise<void> {
    this.pool.destroy();
  }
}

/** True when the JSON response names every expected output with a matching shape (-1 matches any). */
export function checkOutputs(json: Buffer, expected: readonly TensorMeta[]): boolean {
  let parsed: { outputs?: Array<{ name?: string; shape?: number[]; data?: unknown[] }> };
  try {
    parsed = JSON.parse(json.toString('utf8')) as typeof parsed;
  } catch {
    return false;
  }
  if (!Array.isArray(parsed?.outputs)) return false;
  for (const want of expected) {
    const got = parsed.outputs.find((o) => o?.name === want.name);
    if (!got || !Array.isArray(got.shape) || got.shape.length !== want.shape.length) return false;
    if (!want.shape.every((d, i) => d < 0 || d === got.shape![i])) return false;
    if (Array.isArray(got.data)) {
      const n = got.shape.reduce((a, b) => a * b, 1);
      if (got.data.flat(Infinity as 1).length !== n) return false;
    }
  }
  return true;
}
