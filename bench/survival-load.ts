// Open-loop load for the data-plane survival benchmark (bench, issue 26), on the project's own load
// client (loadtest's InferClient: its keep-alive HTTP/1.1 pool and its error classes), with what
// `serve bench` does not report: each request's send and end time and outcome, the generator's
// outstanding requests at any instant, and the error code of every failed socket to the gateway's
// port (ECONNREFUSED apart from ECONNRESET and the like), seen through Node's `net.client.socket`
// diagnostics channel.
import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';
import { InferClient } from '../src/loadtest/client.js';
import { fetchMetadata, modelPath } from '../src/loadtest/oip.js';
import { generatePayloads, type Payload } from '../src/loadtest/payload.js';

/** One request: times are performance.now() milliseconds. */
export interface RequestRecord {
  sentMs: number;
  /** When it ended (answer read or failure); NaN while outstanding. */
  endMs: number;
  ok: boolean;
  /** InferClient's class of a failure: http_502, connection, bad_response, timeout... */
  errorClass?: string;
}

/** A socket error on a connection to the gateway. */
export interface SocketError {
  atMs: number;
  code: string;
}

export interface Load {
  records: RequestRecord[];
  socketErrors: SocketError[];
  /** Requests sent and not yet ended, now. */
  outstanding(): number;
  /** Stops sending; resolves once every request sent has ended (each is bounded by the client timeout). */
  stop(): Promise<void>;
}

export const MODEL = 'cnn-lstm';

/** Seeded request bodies shaped from the model's metadata, as `serve bench` makes them (JSON). */
export async function payloadsFor(url: string): Promise<Payload[]> {
  return generatePayloads(await fetchMetadata(url, MODEL, undefined, 10_000), false, 1);
}

/**
 * Sends `rps` requests a second to `url` (open loop: on schedule, whatever the answers take) until
 * stop(); arrivals that find all `connections` busy wait in the client's queue, their time counting.
 */
export function startLoad(
  url: string,
  rps: number,
  payloads: Payload[],
  opts: { connections?: number; timeoutMs?: number } = {},
): Load {
  const client = new InferClient(url, modelPath(MODEL), {
    connections: opts.connections ?? 64,
    timeoutMs: opts.timeoutMs ?? 5000,
  });
  const port = Number(new URL(url).port);
  const records: RequestRecord[] = [];
  const socketErrors: SocketError[] = [];
  let outstanding = 0;
  const onSocket = (m: unknown) => {
    const socket = (m as { socket: net.Socket }).socket;
    // Every client socket of this process: keep the errors of those to the gateway's port (a
    // failed connect names the port in the error; a connected socket's is read once connected).
    let remotePort: number | undefined;
    socket.once('connect', () => (remotePort = socket.remotePort));
    socket.once('error', (err: NodeJS.ErrnoException & { port?: number }) => {
      if ((err.port ?? remotePort) !== port) return;
      socketErrors.push({ atMs: performance.now(), code: err.code ?? String(err) });
    });
  };
  diagnostics.subscribe('net.client.socket', onSocket);
  const pending = new Set<Promise<void>>();
  const startMs = performance.now();
  let sent = 0;
  const fire = () => {
    const rec: RequestRecord = { sentMs: performance.now(), endMs: NaN, ok: false };
    records.push(rec);
    outstanding++;
    const p = client.send(payloads[sent % payloads.length]!).then((o) => {
      rec.endMs = performance.now();
      rec.ok = o.ok;
      if (!o.ok) rec.errorClass = o.errorClass;
      outstanding--;
      pending.delete(p);
    });
    pending.add(p);
    sent++;
  };
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startMs) * rps) / 1000);
    while (sent < due) fire();
  }, 2);
  return {
    records,
    socketErrors,
    outstanding: () => outstanding,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      await client.close();
      diagnostics.unsubscribe('net.client.socket', onSocket);
    },
  };
}

/** What a load saw between `fromMs` and `toMs` (by send time), and around fault instants. */
export interface LoadSummary {
  sent: number;
  ok: number;
  failed: number;
  /** Failures by InferClient class. */
  byClass: Record<string, number>;
  /** Socket errors by code (ECONNREFUSED: connections refused). */
  socketErrors: Record<string, number>;
  refused: number;
  /** Failed requests sent within 2 s of a fault instant (before or after). */
  failedNearFaults: number;
  /** Latency (end - send) of the answered requests, ms. */
  p99Ms: number;
  maxMs: number;
}

export function summarize(load: Load, faultsMs: readonly number[] = []): LoadSummary {
  const byClass: Record<string, number> = {};
  const lat: number[] = [];
  let ok = 0;
  let near = 0;
  for (const r of load.records) {
    if (r.ok) {
      ok++;
      lat.push(r.endMs - r.sentMs);
      continue;
    }
    const c = r.errorClass ?? 'unfinished';
    byClass[c] = (byClass[c] ?? 0) + 1;
    if (faultsMs.some((f) => Math.abs(r.sentMs - f) <= 2000)) near++;
  }
  const socketErrors: Record<string, number> = {};
  for (const e of load.socketErrors) socketErrors[e.code] = (socketErrors[e.code] ?? 0) + 1;
  lat.sort((a, b) => a - b);
  const pick = (q: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]! : NaN);
  return {
    sent: load.records.length,
    ok,
    failed: load.records.length - ok,
    byClass,
    socketErrors,
    refused: socketErrors.ECONNREFUSED ?? 0,
    failedNearFaults: near,
    p99Ms: round1(pick(0.99)),
    maxMs: round1(lat.length ? lat[lat.length - 1]! : NaN),
  };
}

/** After a fault at `atMs`: the first answer to a request sent at or after it, and the longest stretch without any answer around it. */
export function recovery(load: Load, atMs: number): { firstOkAfterMs: number; longestGapMs: number } {
  let first = Infinity;
  const ends: number[] = [];
  for (const r of load.records) {
    if (!r.ok) continue;
    if (r.sentMs >= atMs) first = Math.min(first, r.endMs - atMs);
    if (r.endMs >= atMs - 1000 && r.endMs <= atMs + 5000) ends.push(r.endMs);
  }
  ends.sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < ends.length; i++) gap = Math.max(gap, ends[i]! - ends[i - 1]!);
  return { firstOkAfterMs: round1(first), longestGapMs: round1(gap) };
}

/** One second of a load, by send time: requests sent, answered, failed, and the slowest answer (ms). */
export interface SecondRow {
  s: number;
  sent: number;
  ok: number;
  failed: number;
  maxOkMs: number;
}

/** The load second by second from `startMs` (by send time). */
export function perSecond(load: Load, startMs: number): SecondRow[] {
  const rows: SecondRow[] = [];
  for (const r of load.records) {
    const s = Math.max(0, Math.floor((r.sentMs - startMs) / 1000));
    while (rows.length <= s) rows.push({ s: rows.length, sent: 0, ok: 0, failed: 0, maxOkMs: 0 });
    const row = rows[s]!;
    row.sent++;
    if (r.ok) {
      row.ok++;
      row.maxOkMs = Math.max(row.maxOkMs, Math.round(r.endMs - r.sentMs));
    } else row.failed++;
  }
  return rows;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
