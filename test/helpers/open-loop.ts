// An open-loop HTTP load for system tests (test helper): requests at a fixed rate on keep-alive
// connections, whatever the answers take; it counts answers by status and failures by error code,
// and knows for each request when the connection it went out on was opened (undici's diagnostics
// channels), so a test can tell requests on a killed server's connections from the others.
import diagnostics from 'node:diagnostics_channel';
import { Agent, request } from 'undici';

/** One request that got no 200. */
export interface OpenLoopFailure {
  /** "status 503" or the error code. */
  why: string;
  sentAtMs: number;
  /** When its connection was opened (performance.now()); undefined if it never went out. */
  connectedAtMs?: number;
}

export interface OpenLoopTally {
  sent: number;
  ok: number;
  outstanding: number;
  failed: OpenLoopFailure[];
  /** Connections refused (ECONNREFUSED). */
  refused: number;
}

const NUMBER_HEADER = 'x-open-loop-n';

/** POSTs `init(n)` to `url` at `rps` until stop(). */
export function openLoop(
  url: string,
  rps: number,
  init: (n: number) => { body: string; headers: Record<string, string> },
) {
  const agent = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
  const tally: OpenLoopTally = { sent: 0, ok: 0, outstanding: 0, failed: [], refused: 0 };
  /** By request number: when it was sent, and when its connection was opened. */
  const sent = new Map<number, { atMs: number; connectedAtMs?: number }>();
  const connectedAt = new WeakMap<object, number>();
  const onConnected = (m: unknown) => connectedAt.set((m as { socket: object }).socket, performance.now());
  const onHeaders = (m: unknown) => {
    const { headers, socket } = m as { headers: string; socket: object };
    const n = new RegExp(`${NUMBER_HEADER}: (\\d+)`, 'i').exec(headers)?.[1];
    const entry = n === undefined ? undefined : sent.get(Number(n));
    if (entry) entry.connectedAtMs = connectedAt.get(socket);
  };
  diagnostics.subscribe('undici:client:connected', onConnected);
  diagnostics.subscribe('undici:client:sendHeaders', onHeaders);
  const pending = new Set<Promise<void>>();
  const startMs = performance.now();
  const fire = () => {
    const n = ++tally.sent;
    tally.outstanding++;
    const entry: { atMs: number; connectedAtMs?: number } = { atMs: performance.now() };
    sent.set(n, entry);
    const { body, headers } = init(n);
    const fail = (why: string) =>
      tally.failed.push({
        why,
        sentAtMs: entry.atMs,
        ...(entry.connectedAtMs !== undefined ? { connectedAtMs: entry.connectedAtMs } : {}),
      });
    const p = request(url, {
      method: 'POST',
      body,
      headers: { ...headers, [NUMBER_HEADER]: String(n) },
      dispatcher: agent,
    })
      .then(async (res) => {
        await res.body.arrayBuffer();
        if (res.statusCode === 200) tally.ok++;
        else fail(`status ${res.statusCode}`);
      })
      .catch((err: { code?: string; cause?: { code?: string } }) => {
        const code = err.cause?.code ?? err.code ?? String(err);
        if (code === 'ECONNREFUSED') tally.refused++;
        fail(code);
      })
      .finally(() => {
        tally.outstanding--;
        pending.delete(p);
      });
    pending.add(p);
  };
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startMs) * rps) / 1000);
    while (tally.sent < due) fire();
  }, 5);
  return {
    tally,
    /** Requests sent at or after `fromMs` on connections opened before `openedBeforeMs`. */
    sentOnOldConnections: (fromMs: number, openedBeforeMs: number) =>
      [...sent.values()].filter(
        (e) => e.atMs >= fromMs && e.connectedAtMs !== undefined && e.connectedAtMs < openedBeforeMs,
      ).length,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      await agent.close();
      diagnostics.unsubscribe('undici:client:connected', onConnected);
      diagnostics.unsubscribe('undici:client:sendHeaders', onHeaders);
    },
  };
}
