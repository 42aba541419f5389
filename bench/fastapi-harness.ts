// The FastAPI + PyTorch baseline of bench/fastapi-compare.ts (bench): checks that the Python side is
// installed, writes serve's demo weights where bench/fastapi/server.py loads them, starts that app
// under uvicorn with N workers on a free port, and asks both servers the same request to show they
// serve the same model.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../src/common/random.js';
import { generateDemoWeights, resolveDemoShape } from '../src/model/demo-weights.js';
import { MODEL } from './cluster-harness.js';
import { repoRoot } from './replica-harness.js';

/** Debian's interpreter: python3-torch, -fastapi and -uvicorn install there, not into a pyenv. */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/** Versions of the Python side, or why it cannot run (one line). */
export function pythonVersions(python: string): { ok: true; versions: string } | { ok: false; why: string } {
  const probe = spawnSync(
    python,
    [
      '-c',
      'import torch, fastapi, uvicorn, pydantic, importlib.util as u; ' +
        'print(f"torch {torch.__version__}, fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__}, ' +
        "pydantic {pydantic.VERSION}, uvloop {bool(u.find_spec('uvloop'))}, httptools {bool(u.find_spec('httptools'))}\")",
    ],
    { encoding: 'utf8' },
  );
  if (probe.error) return { ok: false, why: `${python} not found (${(probe.error as { code?: string }).code})` };
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').pop() ?? '';
    return { ok: false, why: `${python} lacks torch/fastapi/uvicorn (${last})` };
  }
  return { ok: true, versions: probe.stdout.trim() };
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export interface FastapiServer {
  url: string;
  /** The uvicorn supervisor's pid (its workers are its children, in its process group). */
  pid: number;
  stop(): Promise<void>;
}

export interface FastapiOptions {
  python?: string;
  workers?: number;
  /** The batched variant of server.py (SERVE_FASTAPI_BATCH=1). */
  batched?: boolean;
  readyTimeoutMs?: number;
}

/** Starts bench/fastapi/server.py under uvicorn with serve's demo weights; resolves once it answers health. */
export async function startFastapi(opts: FastapiOptions = {}): Promise<FastapiServer> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'serve-bench-fastapi-'));
  const w = generateDemoWeights(resolveDemoShape());
  const weightsFile = path.join(tmp, 'weights.json');
  const arr = (a: Float32Array) => Array.from(a);
  await writeFile(
    weightsFile,
    JSON.stringify({
      shape: w.shape,
      convW: arr(w.convW),
      convB: arr(w.convB),
      lstm: w.lstm.map((l) => ({ inputSize: l.inputSize, W: arr(l.W), R: arr(l.R), B: arr(l.B) })),
      fcW: arr(w.fcW),
      fcB: arr(w.fcB),
      mean: w.mean,
      std: w.std,
    }),
  );
  const port = await freePort();
  const args = ['-m', 'uvicorn', '--app-dir', path.join(repoRoot, 'bench', 'fastapi'), 'server:app'];
  args.push('--host', '127.0.0.1', '--port', String(port), '--workers', String(opts.workers ?? 2));
  args.push('--log-level', 'warning', '--no-access-log', '--timeout-keep-alive', '65');
  const env = { ...process.env, SERVE_FASTAPI_WEIGHTS: weightsFile, SERVE_FASTAPI_BATCH: opts.batched ? '1' : '0' };
  // Its own process group, so stop() reaches the workers even if the supervisor is gone.
  const proc = spawn(opts.python ?? DEFAULT_PYTHON, args, { stdio: ['ignore', 'ignore', 'pipe'], env, detached: true });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      process.kill(-proc.pid!, 'SIGTERM');
      const t = setTimeout(() => process.kill(-proc.pid!, 'SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    }
    await rm(tmp, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`uvicorn exited ${proc.exitCode} before it was ready: ${stderr.trim().slice(-400)}`);
    }
    const ok = await fetch(`${url}/v2/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`uvicorn did not answer ${url}/v2/health/ready in time: ${stderr.trim().slice(-400)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, pid: proc.pid!, stop };
}

/** A seeded single-row JSON infer request of the demo model's shape. */
export function sampleRequest(seed = 7): string {
  const { window: T, features: F } = resolveDemoShape();
  const rand = seededRandom(seed);
  const data = Array.from({ length: T * F }, () => Math.round((rand() * 2 - 1) * 1e6) / 1e6);
  return JSON.stringify({ inputs: [{ name: 'x', shape: [1, T, F], datatype: 'FP32', data }] });
}

/** The `probs` a server answers for `body`. */
export async function inferProbs(url: string, body: string): Promise<number[]> {
  const res = await fetch(`${url}/v2/models/${MODEL}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const out = (await res.json()) as { outputs: Array<{ name: string; data: number[] }> };
  return out.outputs.find((o) => o.name === 'probs')!.data;
}

/** Largest absolute difference between two servers' answers to the same requests. */
export async function maxProbDiff(a: string, b: string, requests = 4): Promise<number> {
  let worst = 0;
  for (let i = 0; i < requests; i++) {
    const body = sampleRequest(100 + i);
    const [pa, pb] = await Promise.all([inferProbs(a, body), inferProbs(b, body)]);
    pa.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - pb[j]!))));
  }
  return worst;
}
