// GPU placement over real OpenSSH with the real CLI (`serve up --detach`, real `serve replica`
// processes on an sshd host): a stand-in nvidia-smi lists two GPUs, four 0.5-GPU replicas land two
// per device with CUDA_VISIBLE_DEVICES set on the host, fall back to the CPU with one log line
// (no CUDA provider here), answer only with the cluster token, and `serve status` shows the GPUs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import { cliEntry, repoRoot } from '../helpers/paths.js';
import { laps } from '../helpers/laps.js';
import { fakeNvidiaSmi, needSshLab, startSshLab } from '../helpers/ssh-lab.js';
import { tempWorld, waitFor } from './helpers.js';
import { demoBody } from './load.js';

const run = promisify(execFile);
const serve = (args: string[], cwd: string) => run(process.execPath, [cliEntry, ...args], { cwd, timeout: 90_000 });

/**
 * The environment of the replica's Node.js process on that host (one pid space here): status names
 * it (it runs detached there, in a session of its own).
 */
function replicaEnv(pid: number): Record<string, string> {
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

test('two GPUs, four 0.5-GPU replicas over SSH: two per device in CUDA_VISIBLE_DEVICES, CPU fallback, token required, GPUs in status', async (t) => {
  if (!needSshLab(t)) return;
  const lap = laps(t);
  const w = tempWorld();
  // The demo model builds while the sshd host starts.
  const model = serve(['model', 'demo', '--registry', w.registry], w.root);
  const lab = await startSshLab(1).catch(async (err: unknown) => {
    await model.catch(() => undefined);
    w.cleanup();
    throw err;
  });
  const stateDir = path.join(w.root, 's');
  let up = false;
  t.after(async () => {
    if (up) await serve(['down', '--state-dir', stateDir], w.root).catch(() => undefined);
    lab.cleanup();
    w.cleanup();
  });
  const host = lab.hosts[0]!;
  fakeNvidiaSmi(host.binDir, ['0, Fake GPU, 16384, 1024, 7', '1, Fake GPU, 16384, 2048, 9']);
  await model;
  lap('sshd host and the demo model');
  const profile = path.join(w.root, 'gpu.yaml');
  writeFileSync(
    profile,
    `model:
  name: cnn-lstm
  registry: ${w.registry}
replicas:
  min: 4
autoscaling:
  enabled: false
resources:
  cpus: 0.25
  memory: 512MiB
  gpus: 0.5
  gpu_memory: 2GiB
runtime:
  device: auto
gateway:
  port: 0
  request_timeout: 5s
hosts:
  - name: gpu-1
    ssh: ${host.destination}
    workdir: ${repoRoot}
    node: ${process.execPath}
    registry: ${path.join(w.root, 'gpu-1-models')}
ssh:
  known_hosts: ${lab.knownHosts}
  identity_file: ${lab.userKey}
  config_file: none
  connect_timeout: 3s
  keepalive: 1s
`,
  );
  await serve(['up', '--detach', '--profile', profile, '--state-dir', stateDir], w.root);
  up = true;
  lap('up --detach: four replicas');
  const [json, table] = await Promise.all([
    serve(['status', '--json', '--state-dir', stateDir], w.root).then((r) => r.stdout),
    serve(['status', '--state-dir', stateDir], w.root).then((r) => r.stdout),
  ]);
  lap('status and status --json');
  const s = JSON.parse(json) as ClusterStatus;
  assert.deepEqual(
    s.replicas.map((r) => [r.host, r.state]),
    Array(4).fill(['gpu-1', 'ready']),
  );
  assert.deepEqual(s.replicas.map((r) => r.gpus![0]).sort(), [0, 0, 1, 1], 'two replicas per GPU');
  for (const r of s.replicas) {
    assert.equal(
      replicaEnv(r.pid!).CUDA_VISIBLE_DEVICES,
      String(r.gpus![0]),
      `${r.id}: CUDA_VISIBLE_DEVICES on the host`,
    );
    assert.equal(r.device, 'cpu', `${r.id} fell back to the CPU`);
  }
  const log = readFileSync(path.join(stateDir, 'logs', 'replica-1.log'), 'utf8');
  assert.equal(
    log.split('\n').filter((l) => l.includes('cuda not available, running on cpu')).length,
    1,
    'one log line says why not CUDA',
  );
  assert.deepEqual(
    s.hosts![0]!.gpus.map((g) => [g.index, g.utilizationPercent, g.memoryTotalBytes]),
    [
      [0, 7, 16384 * 1024 ** 2],
      [1, 9, 16384 * 1024 ** 2],
    ],
  );
  assert.match(table, /gpu-1\s+up\s+root@10\.231\.\d+\.2:2201 .* 0: 7% 1\.0GiB\/16\.0GiB {2}1: 9%/);

  // Through the gateway it answers; straight at a replica, without the cluster's token, 401.
  const infer = await fetch(`${s.gatewayUrl}/v2/models/cnn-lstm/infer`, {
    method: 'POST',
    body: demoBody(),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(infer.status, 200, await infer.clone().text());
  const direct = await fetch(`${s.replicas[0]!.url}/v2/models/cnn-lstm/infer`, { method: 'POST', body: demoBody() });
  assert.equal(direct.status, 401);
  assert.match(((await direct.json()) as { error: string }).error, /x-serve-cluster-token/);
  const meta = await fetch(`${s.replicas[0]!.url}/v2/models/cnn-lstm`, {
    headers: { 'x-serve-cluster-token': 'a guess' },
  });
  assert.equal(meta.status, 401);
  // Health and /metrics carry no data: they answer without the token (Prometheus scrapes them).
  const ready = await fetch(`${s.replicas[0]!.url}/v2/health/ready`);
  assert.equal(ready.status, 200);

  lap('requests');
  await serve(['down', '--state-dir', stateDir], w.root);
  up = false;
  await waitFor('nothing of ours left on the host', () => host.ourPids().length === 0, 5000, 100);
  lap('down');
});
