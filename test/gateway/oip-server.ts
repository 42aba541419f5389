// A small OIP v2 server standing in for another serving stack (test helper): answers
// /v2/models/NAME/infer with fixed outputs and its own name in x-answered-by, or a chosen status.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestContext } from 'node:test';

export interface OipServerMode {
  /** The class scores it answers (output "y", shape [1, n]). */
  scores: number[];
  /** Answer this status with {"error"} instead. */
  status?: number;
  /** Never answer. */
  hang?: boolean;
}

export interface OipServer {
  name: string;
  url: string;
  mode: OipServerMode;
  /** Requests it received. */
  received: number;
  /** Stops listening and drops its connections: its port then refuses. */
  stop(): Promise<void>;
}

/** Starts a server on a free loopback port, stopped when the test ends. */
export async function startOipServer(t: TestContext, name: string, mode: OipServerMode): Promise<OipServer> {
  const sockets = new Set<Socket>();
  let stopped: Promise<void> | undefined;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      me.received++;
      const m = me.mode;
      if (m.hang) return;
      const body =
        m.status !== undefined
          ? JSON.stringify({ error: `status ${m.status} from ${name}` })
          : JSON.stringify({
              model_name: 'demo',
              model_version: name,
              outputs: [{ name: 'y', datatype: 'FP32', shape: [1, m.scores.length], data: m.scores }],
            });
      res.writeHead(m.status ?? 200, { 'content-type': 'application/json', 'x-answered-by': name });
      res.end(body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const me: OipServer = {
    name,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mode,
    received: 0,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      })),
  };
  t.after(() => me.stop());
  return me;
}

/** The value of one sample line of a Prometheus text ("name" or "name{labels}"); 0 when absent. */
export function sample(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
