// Open Inference Protocol v2 discovery (loadtest): finds the model and reads its metadata before a
// run. Works against our gateway and replica, Triton and KServe; failures become one-line errors.
import { Agent, request } from 'undici';
import { UnreachableError, UserError, errorMessage } from '../common/errors.js';
import { formatMs } from '../common/units.js';

/** One tensor of the model metadata; -1 in `shape` is a dynamic dimension. */
export interface TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

/** `GET /v2/models/{name}` as the protocol defines it (fields we use). */
export interface ModelMetadata {
  name: string;
  versions?: string[];
  inputs: TensorMeta[];
  outputs: TensorMeta[];
}

/** The path prefix of a model: /v2/models/{name}[/versions/{v}]. */
export function modelPath(model: string, version?: string): string {
  const base = `/v2/models/${encodeURIComponent(model)}`;
  return version === undefined ? base : `${base}/versions/${encodeURIComponent(version)}`;
}

/** How discovery reaches a server that wants a token, or a CA of its own (--token, --ca). */
export interface Access {
  token?: string;
  ca?: string;
}

/**
 * One discovery request, bounded as a whole by `timeoutMs` (the run's --timeout): connecting, the
 * headers and the body all count. Failures become one line: a timeout or a refused connection
 * exits 3, an answer that is not HTTP, a 401 or an untrusted certificate exits 2.
 */
async function call(url: string, method: 'GET' | 'POST', timeoutMs: number, body?: string, access: Access = {}) {
  const target = new URL(url);
  const what = `${method} ${target.pathname}`;
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (access.token !== undefined) headers.authorization = `Bearer ${access.token}`;
  const dispatcher = access.ca === undefined ? undefined : new Agent({ connect: { ca: access.ca } });
  try {
    const res = await request(url, {
      method,
      body,
      headers,
      dispatcher,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.body.text();
    if (res.statusCode === 401) {
      throw new UserError(
        access.token === undefined
          ? `${target.origin} answered ${what} with 401: it needs a bearer token; pass ` + `--token or set SERVE_TOKEN`
          : `${target.origin} answered ${what} with 401: it does not accept the token given ` +
              `(--token or SERVE_TOKEN)`,
      );
    }
    return { status: res.statusCode, text };
  } catch (err) {
    if (err instanceof UserError) throw err;
    const { name, code } = err as { name?: string; code?: string };
    if (/CERT|ALTNAME|SSL|VERIFY|ISSUER|SELF_SIGNED/.test(code ?? '')) {
      throw new UserError(
        `${target.origin}'s TLS certificate is not trusted (${code}): pass --ca FILE ` + `with the CA that signed it`,
      );
    }
    if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      throw new UnreachableError(
        `no answer from ${target.origin} to ${what} within ${formatMs(timeoutMs)} ` +
          `(--timeout): is the server running and is --url right?`,
      );
    }
    if (name === 'HTTPParserError') {
      throw new UserError(
        `${target.origin} answered ${what} with something that is not HTTP/1.1 (` +
          `${errorMessage(err)}): is --url an OIP v2 server?`,
      );
    }
    throw new UnreachableError(
      `cannot reach ${target.origin} (${code ?? errorMessage(err)}): is the server ` + `running and is --url right?`,
    );
  } finally {
    await dispatcher?.close();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Names of the models the server lists: Triton/KServe `POST /v2/repository/index`, else a `models`
 * array in `GET /v2` if the server offers one. Undefined when neither works.
 */
async function listModels(baseUrl: string, timeoutMs: number, access: Access): Promise<string[] | undefined> {
  const index = await call(new URL('/v2/repository/index', baseUrl).href, 'POST', timeoutMs, '{}', access);
  const list = index.status === 200 ? parseJson(index.text) : undefined;
  if (Array.isArray(list)) {
    const entries = list as Array<{ name?: unknown; state?: unknown } | null>;
    const ready = entries.filter(
      (m) => m && typeof m.name === 'string' && (m.state === undefined || m.state === 'READY'),
    );
    return [...new Set(ready.map((m) => String(m!.name)))];
  }
  const server = await call(new URL('/v2', baseUrl).href, 'GET', timeoutMs, undefined, access);
  const meta = server.status === 200 ? (parseJson(server.text) as { models?: unknown } | undefined) : undefined;
  if (meta && Array.isArray(meta.models)) {
    return meta.models.map((m) => (typeof m === 'string' ? m : String((m as { name?: unknown }).name)));
  }
  return undefined;
}

/** The model to load: `model` if given, else the only one the server lists (each request within `timeoutMs`). */
export async function resolveModel(
  baseUrl: string,
  model: string | undefined,
  timeoutMs: number,
  access: Access = {},
): Promise<string> {
  if (model !== undefined) return model;
  const names = await listModels(baseUrl, timeoutMs, access);
  if (names === undefined)
    throw new UserError(`${baseUrl} does not list its models (no POST /v2/repository/index): pass ` + `--model NAME`);
  if (names.length === 1) return names[0]!;
  if (names.length === 0)
    throw new UnreachableError(`${baseUrl} serves no ready model: load one, or pass --model NAME`);
  throw new UserError(
    `${baseUrl} serves ${names.length} models (${names.join(', ')}): pick one with ` + `--model NAME`,
  );
}

/** Reads `GET /v2/models/{name}[/versions/{v}]` within `timeoutMs`; 404 and the like exit 3 with the server's error. */
export async function fetchMetadata(
  baseUrl: string,
  model: string,
  version: string | undefined,
  timeoutMs: number,
  access: Access = {},
): Promise<ModelMetadata> {
  const url = new URL(modelPath(model, version), baseUrl).href;
  const res = await call(url, 'GET', timeoutMs, undefined, access);
  const body = parseJson(res.text) as (Partial<ModelMetadata> & { error?: string }) | undefined;
  if (res.status !== 200) {
    const why = body?.error ? `: ${body.error}` : '';
    throw new UnreachableError(
      `model "${model}" is not served at ${baseUrl} (HTTP ${res.status}${why}): check ` + `--model and --url`,
    );
  }
  if (!body || !Array.isArray(body.inputs) || !Array.isArray(body.outputs)) {
    throw new UserError(
      `${url} did not answer Open Inference Protocol v2 model metadata (no ` +
        `inputs/outputs): is --url an OIP v2 server?`,
    );
  }
  for (const t of [...body.inputs, ...body.outputs]) {
    if (typeof t?.name !== 'string' || typeof t.datatype !== 'string' || !Array.isArray(t.shape)) {
      throw new UserError(
        `${url} lists a tensor without name, datatype and shape: cannot generate ` + `payloads; use --requests FILE`,
      );
    }
  }
  return { name: body.name ?? model, versions: body.versions, inputs: body.inputs, outputs: body.outputs };
}
