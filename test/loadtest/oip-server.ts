// A small OIP v2 loopback server for loadtest tests: metadata, repository index and infer, with a
// fixed delay, an optional freeze at a known request, and an optional error status.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeServerOptions {
  model?: string;
  /** Delay of every infer answer, milliseconds. */
  delayMs?: number;
  /** Freeze: the request with this 0-based index starts a freeze of `freezeMs`; every answer due
   * during it is held until it ends. */
  freezeAtRequest?: number;
  freezeMs?: number;
  /** Answer every infer with this status instead of 200. */
  failStatus?: number;
  /** Answer every n-th infer (1-based: n, 2n, ...) with 503. */
  failEvery?: number;
  /** Answer POST /v2/repository/index (Triton) with the model list; default true. */
  listModels?: boolean;
  /** Drop the connection on every infer instead of answering. */
  dropInfer?: boolean;
  /** Stop listening once the metadata is answered: the server goes away after discovery. */
  goAwayAfterMetadata?: boolean;
  /** Output shape answered; default [1, 3]. */
  outputShape?: number[];
  /** Answer infer request i as versions[i % n] (its X-Model-Version header and delay), like a gateway mid-rollout. */
  versions?: Array<{ version: string; delayMs: number }>;
}

export interface FakeServer {
  url: string;
  /** Infer requests received so far. */
  inferCount(): number;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1, port 0. */
export async function startFakeServer(opts: FakeServerOptions = {}): Promise<FakeServer> {
  const model = opts.model ?? 'tiny';
  const outputShape = opts.outputShape ?? [1, 3];
  let count = 0;
  let freezeUntil = 0;
  const metadata = {
    name: model,
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const url = req.url ?? '';
      if (req.method === 'POST' && url === '/v2/repository/index' && opts.listModels !== false) {
        return json(200, [{ name: model, version: '1', state: 'READY' }]);
      }
      if (req.method === 'GET' && url === `/v2/models/${model}`) {
        json(200, metadata);
        if (opts.goAwayAfterMetadata) server.close();
        return;
      }
      if (req.method === 'POST' && url === `/v2/models/${model}/infer`) {
        if (opts.dropInfer) return void req.socket.destroy();
        const problem = checkInferBody(Buffer.concat(chunks), req.headers);
        if (problem) return json(400, { error: problem });
        const index = count++;
        const now = performance.now();
        if (opts.freezeAtRequest !== undefined && index === opts.freezeAtRequest)
          freezeUntil = now + (opts.freezeMs ?? 0);
        const as = opts.versions?.[index % opts.versions.length];
        if (as) res.setHeader('x-model-version', as.version);
        const answerAt = Math.max(now + (as?.delayMs ?? opts.delayMs ?? 0), freezeUntil);
        const answer = () => {
          if (opts.failStatus) return json(opts.failStatus, { error: 'failing on purpose' });
          if (opts.failEvery && (index + 1) % opts.failEvery === 0)
            return json(503, { error: 'overloaded on purpose' });
          const n = outputShape.reduce((a, b) => a * b, 1);
          json(200, {
            model_name: model,
            outputs: [{ name: 'y', datatype: 'FP32', shape: outputShape, data: new Array(n).fill(0.5) }],
          });
        };
        answerNoEarlierThan(answerAt, answer);
        return;
      }
      json(404, { error: `no route ${req.method} ${url}` });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    inferCount: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs `fn` at or after `atMs` (performance.now), as close to it as the loop allows: Node timers
 * fire up to ~1 ms early or late against performance.now, so the last 1.5 ms is polled.
 */
function answerNoEarlierThan(atMs: number, fn: () => void): void {
  const wait = atMs - performance.now();
  if (wait <= 0) return fn();
  if (wait < 1.5) return void setImmediate(() => answerNoEarlierThan(atMs, fn));
  setTimeout(() => answerNoEarlierThan(atMs, fn), wait - 1.5);
}

/** Enough validation of an infer body (JSON or binary extension) to catch a malformed client. */
function checkInferBody(body: Buffer, headers: http.IncomingHttpHeaders): string | undefined {
  const headerLength = headers['inference-header-content-length'];
  const jsonPart = headerLength === undefined ? body : body.subarray(0, Number(headerLength));
  let parsed: { inputs?: Array<{ shape?: number[]; data?: unknown[]; parameters?: { binary_data_size?: number } }> };
  try {
    parsed = JSON.parse(jsonPart.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  if (!Array.isArray(parsed.inputs) || parsed.inputs.length === 0) return 'no inputs';
  if (headerLength === undefined) {
    const ok = parsed.inputs.every(
      (t) =>
        Array.isArray(t.data) &&
        Array.isArray(t.shape) &&
        t.data.flat(Infinity as 1).length === t.shape.reduce((a, b) => a * b, 1),
    );
    return ok ? undefined : 'data does not match shape';
  }
  const binaryBytes = parsed.inputs.reduce((n, t) => n + (t.parameters?.binary_data_size ?? 0), 0);
  return body.length === Number(headerLength) + binaryBytes ? undefined : 'binary sizes do not add up';
}
