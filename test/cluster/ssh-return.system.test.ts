// A host that goes down whole and comes back re-imaged, over real OpenSSH: every process of the
// sshd host is killed (sshd and the replica with it), its model folder is wiped, then sshd starts
// again. The controller retries it with backoff (status says when the next attempt is), prepares
// it again as at `serve up` (versions checked, the model copied back) before it offers it to
// placement, and the replica is ready there again with no `serve up`: no crash loop, never failed.
// (Real replica and gateway: the model is loaded on the host from the copy.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startCluster, type ClusterHandle } from '../../src/cluster/controller/controller.js';
import { renderStatus } from '../../src/cli/status/render.js';
import { repoRoot } from '../helpers/paths.js';
import { laps } from '../helpers/laps.js';
import { needSshLab } from '../helpers/ssh-lab.js';
import { testProfile, waitFor } from './helpers.js';
import { sshWorld } from './ssh-world.js';

test('a host killed whole and back with an empty model folder is prepared again: its replica is ready there within 45 s, never failed', async (t) => {
  if (!needSshLab(t)) return;
  const lap = laps(t);
  let h: ClusterHandle | undefined;
  const { w, lab } = await sshWorld(t, 1, () => h?.stop().catch(() => undefined));
  const host = lab.hosts[0]!;
  const models = path.join(lab.dir, 'h1-models');
  const profile = testProfile(w.registry, {
    model: { name: 'cnn-lstm', version: 1, registry: w.registry },
    replicas: { min: 1, max: 1, initial: 1 },
    resources: { cpus: 0.5, memoryBytes: 256 * 1024 ** 2, gpus: 0 },
    health: { periodMs: 200, timeoutMs: 500, failureThreshold: 3, startupTimeoutMs: 30_000 },
    hosts: [{ name: 'h1', ssh: host.destination, workdir: repoRoot, node: process.execPath, registry: models }],
    ssh: {
      knownHostsFile: lab.knownHosts,
      identityFile: lab.userKey,
      configFile: 'none',
      connectTimeoutMs: 3000,
      keepaliveMs: 1000,
      keepaliveCount: 3,
    },
  });
  h = await startCluster(profile, { stateDir: w.stateDir });
  const cluster = h;
  const onH1 = () => cluster.status().replicas.find((r) => r.state === 'ready' && r.host === 'h1');
  await waitFor('the replica ready on h1', onH1, 30_000, 50);
  lap('cluster of 1 on h1');

  // Down whole: every process there killed, sshd too; it comes back re-imaged (no model folder).
  const killedAt = Date.now();
  host.kill();
  rmSync(models, { recursive: true, force: true });
  const down = await waitFor(
    'h1 down with a next attempt',
    () => {
      const s = cluster.status();
      const h1 = s.hosts?.find((x) => x.name === 'h1');
      return h1 && h1.state !== 'up' && h1.nextAttemptInMs !== undefined ? s : undefined;
    },
    10_000,
    20,
  );
  const h1 = down.hosts!.find((x) => x.name === 'h1')!;
  assert.ok(h1.nextAttemptInMs! <= 30_000, `next attempt in ${h1.nextAttemptInMs} ms`);
  assert.match(renderStatus(down), /\n {2}h1 (down|connecting): .*; next attempt in \d/);
  // Down for a few attempts (1, 2, 4 s ceilings), then back.
  await new Promise((r) => setTimeout(r, 3000));
  await host.start();
  const backAt = Date.now();
  lap('h1 killed, down 3 s, sshd started again');
  const states = new Set<string>();
  await waitFor(
    'the replica ready on h1 again',
    () => {
      for (const r of cluster.status().replicas) states.add(r.state);
      return onH1();
    },
    45_000,
    50,
  );
  const readyMs = Date.now() - backAt;
  lap(`ready on h1 ${readyMs} ms after sshd started again (${Date.now() - killedAt} ms after the kill)`);
  assert.ok(!states.has('failed'), `the replica never failed (states seen: ${[...states].join(', ')})`);
  assert.ok(existsSync(path.join(models, 'cnn-lstm', '1', 'model.onnx')), 'the model was copied back');
  const log = readFileSync(path.join(w.stateDir, 'logs', 'controller.log'), 'utf8');
  assert.match(log, /h1: connected to .*model cnn-lstm@1 copied/);
  assert.match(log, /host h1 is up again/);
  assert.doesNotMatch(log, /crash loop/);
  // A heartbeat is no control line to complain about.
  const logs = path.join(w.stateDir, 'logs');
  const replicaLogs = readdirSync(logs).filter((f) => f.startsWith('replica'));
  assert.ok(replicaLogs.length > 0, `replica logs in ${readdirSync(logs).join(', ')}`);
  for (const f of replicaLogs) assert.doesNotMatch(readFileSync(path.join(logs, f), 'utf8'), /control line ignored/, f);
});
