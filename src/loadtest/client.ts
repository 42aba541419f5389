// The HTTP side of a run (loadtest): an undici Pool with at most `connections` sockets, one request
// each at a time, a total time limit per request, and the classification of every answer.
import { Pool } from 'undici';
import { BINARY_HEADER_LENGTH } from '../common/wire.js';
import type { Outcome } from './recorder.js';
import type { Payload } from './payload.js';
import type { TensorMeta } from './oip.js';

/** Sends infer requests to one model; never throws for a failed request (failures are outcomes). */
export class InferClient {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(
    baseUrl: string,
    modelPath: string,
    opts: { connections: number; timeoutMs: number; expectOutputs?: readonly TensorMeta[] },
  ) {
    const url = new URL(baseUrl);
    // undici's own timeouts are idle limits (a body trickling in resets bodyTimeout), so the total
    // limit is our own timer in send(); these only make a stuck socket fail no later than it.
    this.pool = new Pool(url.origin, {
      connections: opts.connections,
      pipelining: 1,
      connectTimeout: opts.timeoutMs,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      keepAliveTimeout: 30_000,
    });
    this.path = `${url.pathname.replace(/\/$/, '')}${modelPath}/infer`;
    this.expectOutputs = opts.expectOutputs;
    this.timeoutMs = opts.timeoutMs;
  }
  private readonly expectOutputs?: readonly TensorMeta[];
  private readonly timeoutMs: number;

  /**
   * Sends one request; resolves with its outcome when the response has ended, or with class
   * `timeout` once `timeoutMs` has passed since the call (connecting, waiting and reading the body
   * all count), aborting the request. Uses undici's dispatch handler rather than `request()`: no
   * body stream per response, which is most of the client's cost per request at tens of thousands
   * of requests a second.
   */
  send(payload: Payload): Promise<Outcome> {
    const expect = this.expectOutputs;
    return new Promise<Outcome>((outer) => {
      let status = 0;
      let headerLength: number | undefined;
      const chunks: Buffer[] = [];
      let settled = false;
      let controller: { abort(reason: Error): void } | undefined;
      const resolve = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outer(o);
      };
      const timer = setTimeout(() => {
        resolve({ ok: false, errorClass: 'timeout' });
        // Free the connection; a request not yet on a socket is aborted when it gets one.
        controller?.abort(new Error('request timed out'));
      }, this.timeoutMs);
      this.pool.dispatch({ path: this.path, method: 'POST', headers: payload.headers, body: payload.body }, {
        onRequestStart(c) {
          controller = c;
          if (settled) c.abort(new Error('request timed out'));
        },
        onResponseStart(_controller, statusCode, headers) {
          status = statusCode;
          const h = headers[BINARY_HEADER_LENGTH];
          if (h !== undefined) headerLength = Number(h);
        },
        onResponseData(_controller, chunk) {
          if (!settled && expect !== undefined && status >= 200 && status < 300) chunks.push(chunk);
        },
        onResponseEnd() {
          if (status < 200 || status >= 300) return resolve({ ok: false, errorClass: `http_${status}` });
          if (expect === undefined) return resolve({ ok: true });
          const bytes = Buffer.concat(chunks);
          const json = bytes.subarray(0, headerLength ?? bytes.length);
          resolve(checkOutputs(json, expect) ? { ok: true } : { ok: false, errorClass: 'bad_response' });
        },
        onResponseError(_controller, err) {
          resolve({ ok: false, errorClass: classifyError(err) });
        },
      });
    });
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** `timeout`, `aborted` or `connection` for an error thrown by undici. */
export function classifyError(err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (code === 'UND_ERR_ABORTED') return 'aborted';
  return 'connection';
}

/** True when the JSON response names every expected output with a matching shape (-1 matches any). */
export function checkOutputs(json: Buffer, expected: readonly TensorMeta[]): boolean {
  let parsed: { outputs?: Array<{ name?: string; shape?: number[]; data?: unknown[] }> };
  try {
    parsed = JSON.parse(json.toString('utf8'));
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
