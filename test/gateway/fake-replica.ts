// A small loopback upstream that answers OIP-ish requests for the gateway tests (test helper).
// It echoes request bodies byte for byte and can be told to delay, shed, fail, hang or drop sockets.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the fake answers the next requests. */
export type FakeMode =
  | { kind: 'ok'; delayMs?: number }
  /**
   * Answers a JSON infer body like a replica of `version`: its id, and each input's data doubled as
   * output "y"; its model digest is `modelDigest` (default `sha256:fake-<version>`).
   */
  | { kind: 'oip'; version: string; modelDigest?: string }
  | { kind: 'status'; status: number }
  | { kind: 'shed' }
  | { kind: 'close' }
  /** Sends headers and part of the body, then drops the connection. */
  | { kind: 'partial' }
  | { kind: 'hang' };

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeReplica {
  id: string;
  url: string;
  port: number;
  seen: SeenRequest[];
  mode: FakeMode;
  /** Requests being handled right now. */
  inflight: number;
  /** Stops listening and drops every connection; the port is then refused. */
  stop(): Promise<void>;
}

/** Starts a fake replica on 127.0.0.1:port (0 = free port). */
export async function startFakeReplica(id: string, mode: FakeMode = { kind: 'ok' }, port = 0): Promise<FakeReplica> {
  const sockets = new Set<Socket>();
  const fake: FakeReplica = {
    id,
    url: '',
    port: 0,
    seen: [],
    mode,
    inflight: 0,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      fake.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const m = fake.mode;
      if (m.kind === 'hang') return;
      if (m.kind === 'close') return req.socket.destroy();
      if (m.kind === 'partial') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"outputs":');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      if (m.kind === 'shed') return reply(res, 503, { 'retry-after': '1' }, `{"error":"shed by ${id}"}`);
      if (m.kind === 'status') return reply(res, m.status, {}, `{"error":"status ${m.status} from ${id}"}`);
      if (m.kind === 'oip') {
        try {
          const digest = m.modelDigest ?? `sha256:fake-${m.version}`;
          return reply(
            res,
            200,
            { 'server-timing': 'queue;dur=0.1, infer;dur=0.3', 'x-fake-id': id, 'x-serve-model-digest': digest },
            oipAnswer(body, m.version),
          );
        } catch {
          return reply(res, 400, {}, '{"error":"not an infer request"}');
        }
      }
      fake.inflight++;
      setTimeout(() => {
        fake.inflight--;
        if (req.url === '/v2' || (req.url?.startsWith('/v2/models') && req.method === 'GET')) {
          return reply(res, 200, {}, JSON.stringify({ name: 'fake', replica: id, url: req.url }));
        }
        res.writeHead(200, {
          'content-type': req.headers['content-type'] ?? 'application/octet-stream',
          ...(req.headers['inference-header-content-length']
            ? { 'inference-header-content-length': req.headers['inference-header-content-length'] }
            : {}),
          'server-timing': `queue;dur=0.1, infer;dur=${m.delayMs ?? 0.2}`,
          'x-serve-replica': 'self-' + id,
          'x-fake-id': id,
        });
        res.end(body);
      }, m.delayMs ?? 0);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  return fake;
}

function oipAnswer(body: Buffer, version: string): string {
  const req = JSON.parse(body.toString()) as { id?: unknown; inputs: Array<{ data: number[] }> };
  const doc: Record<string, unknown> = { model_name: 'demo', model_version: version };
  if (req.id !== undefined) doc.id = req.id;
  doc.outputs = [{ name: 'y', datatype: 'FP32', shape: [1, 2], data: req.inputs[0]!.data.map((v) => v * 2) }];
  return JSON.stringify(doc);
}

function reply(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}
