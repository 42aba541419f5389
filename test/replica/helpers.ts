// Shared fixtures of the replica tests: a temporary registry with the demo model, a replica
// started in-process and closed after the test, and small OIP v2 request builders.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { writeDemoModel } from '../../src/model/demo.js';
import { startReplica, type ReplicaHandle, type ReplicaOptions } from '../../src/replica/replica.js';

export const MODEL = 'cnn-lstm';
export const ROW_ELEMENTS = 60 * 16;

/** A fresh registry folder holding the demo model; removed after the test. */
export async function demoRegistry(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'serve-replica-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeDemoModel(dir);
  return dir;
}

/** Starts a replica on 127.0.0.1:0 with quiet logs, waits until ready, and closes it after the test. */
export async function readyReplica(
  t: TestContext,
  registryDir: string,
  opts: Partial<ReplicaOptions> = {},
): Promise<ReplicaHandle> {
  const replica = await startReplica({ model: MODEL, registry: registryDir, logger: quietLogger(), ...opts });
  t.after(() => replica.close());
  await replica.ready;
  return replica;
}

/** A logger that drops everything (tests assert on responses, not logs). */
export function quietLogger() {
  const l = { debug() {}, info() {}, warn() {}, error() {}, child: () => l };
  return l;
}

/** Deterministic pseudo-random inputs: `rows` rows, different for each seed. */
export function randomRows(rows: number, seed: number): Float32Array {
  const out = new Float32Array(rows * ROW_ELEMENTS);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 4 - 2;
  }
  return out;
}

/** A JSON infer body for the demo model. */
export function jsonBody(x: Float32Array, rows: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 60, 16], data: Array.from(x) }],
    ...extra,
  });
}

/** A Triton binary-extension body and its header length. */
export function binaryBody(
  x: Float32Array,
  rows: number,
  binaryOutput = true,
): { body: Uint8Array<ArrayBuffer>; headerLength: number } {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 60, 16], parameters: { binary_data_size: x.byteLength } }],
      ...(binaryOutput ? { outputs: [{ name: 'probs', parameters: { binary_data: true } }] } : {}),
    }),
  );
  return {
    body: new Uint8Array(Buffer.concat([header, Buffer.from(x.buffer, x.byteOffset, x.byteLength)])),
    headerLength: header.length,
  };
}

/** POSTs a JSON infer request; returns status, headers and parsed JSON. */
export async function inferJson(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/v2/models/${MODEL}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const json = (await res.json()) as Record<string, any>;
  return { status: res.status, headers: res.headers, json };
}

/** Decodes a binary-extension response into its JSON header and the float32 output. */
export function decodeBinary(buf: Buffer, headerLength: number): { header: Record<string, any>; probs: Float32Array } {
  const header = JSON.parse(buf.subarray(0, headerLength).toString('utf8'));
  const bytes = buf.subarray(headerLength);
  const probs = new Float32Array(bytes.length / 4);
  new Uint8Array(probs.buffer).set(bytes);
  return { header, probs };
}

/** Largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The replica's handle type, re-exported for test files. */
export type { ReplicaHandle };
