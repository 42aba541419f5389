// Small HTTP requests the controller makes to its children (control plane): readiness probes and
// /metrics scrapes, each on a fresh connection, and a rollout's warmup requests; each with a hard
// timeout so a hung replica cannot stall us.
import http from 'node:http';
import { CLUSTER_TOKEN_HEADER } from '../../common/wire.js';

/** Result of one GET: status and body, or the error that prevented an answer. */
export type GetResult = { ok: true; status: number; body: string } | { ok: false; error: string };

/** One request with a total deadline of `timeoutMs` (with the cluster token when given); never rejects. */
function send(
  url: string,
  o: { method: 'GET' | 'POST'; agent: http.Agent | false; headers: Record<string, string>; body?: string },
  timeoutMs: number,
  token?: string,
): Promise<GetResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: GetResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const headers = { ...o.headers, ...(token === undefined ? {} : { [CLUSTER_TOKEN_HEADER]: token }) };
    const req = http.request(url, { method: o.method, agent: o.agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        finish({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', (err) => finish({ ok: false, error: err.message }));
    });
    const timer = setTimeout(() => {
      finish({ ok: false, error: `no answer within ${timeoutMs}ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => finish({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(o.body);
  });
}

/** GETs `url` on a fresh connection with a total deadline of `timeoutMs`; never rejects. */
export function httpGet(url: string, timeoutMs: number, token?: string): Promise<GetResult> {
  return send(url, { method: 'GET', agent: false, headers: { connection: 'close' } }, timeoutMs, token);
}

/** One readiness probe: GET /v2/health/ready answered 200 within the timeout. */
export async function probeReady(
  baseUrl: string,
  timeoutMs: number,
  token?: string,
): Promise<{ ok: boolean; error?: string }> {
  const r = await httpGet(`${baseUrl}/v2/health/ready`, timeoutMs, token);
  if (!r.ok) return { ok: false, error: r.error };
  return r.status === 200 ? { ok: true } : { ok: false, error: `answered ${r.status}` };
}

/** The body of a 200 answer to GET `url` within `timeoutMs`; undefined for anything else (no URL yet, an error, another status). */
export async function getText(url: string, timeoutMs: number, token?: string): Promise<string | undefined> {
  if (!/^https?:\/\/[^/]/.test(url)) return undefined;
  const r = await httpGet(url, timeoutMs, token);
  return r.ok && r.status === 200 ? r.body : undefined;
}

/**
 * POSTs a JSON `body` to `url` over `agent` (keep-alive, as the gateway reaches replicas) with a
 * deadline; resolves ok for a 200 answer, else with what went wrong. Never rejects.
 */
export async function httpPostJson(
  url: string,
  body: string,
  timeoutMs: number,
  agent: http.Agent,
  token?: string,
): Promise<{ ok: boolean; error?: string }> {
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
  const r = await send(url, { method: 'POST', agent, headers, body }, timeoutMs, token);
  if (!r.ok) return r;
  return r.status === 200 ? { ok: true } : { ok: false, error: `answered ${r.status}` };
}
