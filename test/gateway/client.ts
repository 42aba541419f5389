// HTTP client helpers for the gateway tests (test helper): one request, its status, headers and bytes.
import { Agent, request } from 'undici';
import type { TestContext } from 'node:test';
import type { GatewayHandle, GatewayOptions } from '../../src/gateway/handle.js';
import { startGateway } from '../../src/gateway/server.js';
import { createLogger } from '../../src/common/log.js';
import { startFakeReplica, type FakeMode, type FakeReplica } from './fake-replica.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  ms: number;
}

const agent = new Agent({ connections: 64, keepAliveTimeout: 1000 });

/** Sends one request and reads the whole answer. */
export async function send(
  url: string,
  opts: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Reply> {
  const t0 = performance.now();
  const res = await request(url, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    headers: opts.headers,
    body: opts.body,
    dispatcher: agent,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, ms: performance.now() - t0 };
}

/** A small OIP v2 JSON infer body. */
export const inferBody = (k = 0) =>
  JSON.stringify({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [k, k + 0.5] }] });
export const inferPath = '/v2/models/demo/infer';
export const jsonHeaders = { 'content-type': 'application/json' };

/** Starts a gateway that is closed when the test ends; logs go nowhere unless SERVE_TEST_LOGS is set. */
export async function gatewayFor(t: TestContext, opts: GatewayOptions = {}): Promise<GatewayHandle> {
  const logger = createLogger({ component: 'gateway' }, { write: process.env.SERVE_TEST_LOGS ? undefined : () => {} });
  const gw = await startGateway({ port: 0, logger, ...opts });
  t.after(() => gw.close());
  return gw;
}

/** Starts fake replicas that are stopped when the test ends. */
export async function fakesFor(t: TestContext, ...modes: FakeMode[]): Promise<FakeReplica[]> {
  const fakes = await Promise.all(modes.map((m, i) => startFakeReplica(`r${i}`, m)));
  t.after(() => Promise.all(fakes.map((f) => f.stop())));
  return fakes;
}

export const endpoints = (fakes: readonly FakeReplica[], ready = true) =>
  fakes.map((f) => ({ id: f.id, url: f.url, ready }));

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
