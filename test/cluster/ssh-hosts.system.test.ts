// A cluster over real OpenSSH: this machine plus two sshd hosts in network namespaces. Replicas
// spread over all three, requests go through the gateway, `serve status --json` names each
// replica's host; a host cut off, then one that hangs whole, under load: each loses its replicas,
// which are replaced elsewhere with no failed request, and nothing is left running anywhere after
// the stop; a remote replica's environment holds only the allow-list and the profile's env:. (Fake
// replicas behind the real gateway.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCluster, type ClusterHandle } from '../../src/cluster/controller/controller.js';
import { allowedInChild } from '../../src/common/child-env.js';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import { cliEntry, repoRoot } from '../helpers/paths.js';
import { laps } from '../helpers/laps.js';
import { needSshLab, startSshLab, type SshLab } from '../helpers/ssh-lab.js';
import { fakeCli, processesMatching, tempWorld, testProfile, waitFor } from './helpers.js';
import { startLoad } from './load.js';

const run = promisify(execFile);

function labProfile(lab: SshLab, registry: string) {
  const remote = (i: number) => ({
    name: `h${i + 1}`,
    ssh: lab.hosts[i]!.destination,
    workdir: repoRoot,
    node: process.execPath,
    registry: path.join(lab.dir, `h${i + 1}-models`),
  });
  return testProfile(registry, {
    replicas: { min: 1, max: 6, initial: 6 },
    resources: { cpus: 0.5, memoryBytes: 64 * 1024 ** 2, gpus: 0 },
    health: { periodMs: 200, timeoutMs: 150, failureThreshold: 3, startupTimeoutMs: 15_000 },
    gateway: { requestTimeoutMs: 15_000 },
    // The real gateway (its retries are what is tested) in front of fake replicas.
    env: { FAKE_REAL_CLI: cliEntry },
    hosts: [{ name: 'local', node: 'node', cpus: 3 }, remote(0), remote(1)],
    ssh: {
      knownHostsFile: lab.knownHosts,
      identityFile: lab.userKey,
      configFile: 'none',
      connectTimeoutMs: 3000,
      keepaliveMs: 1000,
      keepaliveCount: 3,
    },
  });
}

const perHost = (s: ClusterStatus) => {
  const out: Record<string, number> = {};
  for (const r of s.replicas) if (r.state === 'ready') out[r.host!] = (out[r.host!] ?? 0) + 1;
  return out;
};

test('local plus two SSH hosts: spread, served, named in status; hosts cut off or hung under load are replaced with no failed request; nothing left', async (t) => {
  if (!needSshLab(t)) return;
  const lap = laps(t);
  const lab = await startSshLab(2);
  lap('two sshd hosts');
  const w = tempWorld();
  let h: ClusterHandle | undefined;
  t.after(async () => {
    await h?.stop().catch(() => undefined);
    lab.cleanup();
    w.cleanup();
  });
  h = await startCluster(labProfile(lab, w.registry), {
    stateDir: w.stateDir,
    cliEntry: fakeCli,
    remoteCliEntry: fakeCli,
  });
  const cluster = h;
  lap('cluster of 6 started');

  // Spread over all three hosts, two each; the model was copied to each SSH host's registry.
  assert.deepEqual(perHost(cluster.status()), { local: 2, h1: 2, h2: 2 });
  for (const name of ['h1', 'h2'])
    assert.ok(existsSync(path.join(lab.dir, `${name}-models`, 'demo', '1', 'model.yaml')), `model copied to ${name}`);
  const { stdout } = await run(process.execPath, [cliEntry, 'status', '--json', '--state-dir', w.stateDir]);
  const json = JSON.parse(stdout) as ClusterStatus;
  assert.deepEqual(json.replicas.map((r) => r.host).sort(), ['h1', 'h1', 'h2', 'h2', 'local', 'local']);
  assert.deepEqual(
    json.hosts!.map((x) => [x.name, x.state]),
    [
      ['local', 'up'],
      ['h1', 'up'],
      ['h2', 'up'],
    ],
  );
  for (const r of json.replicas.filter((x) => x.host !== 'local'))
    assert.match(r.url!, /^http:\/\/10\.231\.\d+\.2:\d+$/);
  // A remote replica's environment: the allow-list of the login environment there and the profile's
  // env:, not what sshd gave the login (the hosts share this machine's pids; status names the
  // replica, detached there in a session of its own).
  for (const r of json.replicas.filter((x) => x.host !== 'local')) {
    const vars = readFileSync(`/proc/${r.pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const names = vars.map((v) => v.slice(0, v.indexOf('=')));
    assert.ok(vars.includes(`FAKE_REAL_CLI=${cliEntry}`), `${r.id}: the profile's env: ${names.join(' ')}`);
    assert.ok(names.includes('PATH') && !names.includes('SSH_CONNECTION'), `${r.id}: ${names.join(' ')}`);
    assert.deepEqual(names.filter((n) => !allowedInChild(n)).sort(), ['FAKE_REAL_CLI'], `${r.id}: nothing else`);
  }

  const load = startLoad(`${cluster.gatewayUrl}/v2/models/demo/infer`, {
    workers: 4,
    maxMs: 60_000,
    maxRequests: 200_000,
  });
  // h1's network is cut (packets vanish), then h2 hangs whole (every process stopped, sshd too,
  // while its kernel still answers TCP): requests at its replicas never get an answer.
  const faults = [
    { host: lab.hosts[0]!, fault: () => lab.hosts[0]!.cut() },
    { host: lab.hosts[1]!, fault: () => lab.hosts[1]!.freeze() },
  ];
  for (const { host, fault } of faults) {
    await load.moreOk(200);
    const faultAt = Date.now();
    fault();
    const after = await waitFor(
      `${host.name} lost and its replicas ready elsewhere`,
      () => {
        const s = cluster.status();
        return s.replicas.filter((r) => r.state === 'ready').length === 6 && !perHost(s)[host.name] ? s : undefined;
      },
      20_000,
      50,
    );
    const replacedMs = Date.now() - faultAt;
    assert.ok(replacedMs < 15_000, `${host.name}: replaced within ${replacedMs} ms`);
    assert.notEqual(after.hosts!.find((x) => x.name === host.name)!.state, 'up');
    lap(`${host.name}: replaced ${replacedMs} ms after the fault`);
  }
  await load.moreOk(200);
  const result = await load.stop();
  if (result.failures.length > 0) {
    // What the controller saw, to tell which replica the failed requests waited at.
    const log = readFileSync(path.join(w.stateDir, 'logs', 'controller.log'), 'utf8').split('\n');
    for (const line of log.filter((l) => /lost|unhealthy|restarting|down|started/.test(l)))
      t.diagnostic(line.slice(0, 300));
  }
  assert.deepEqual(
    result.failures,
    [],
    `${result.failures.length} of ${result.ok + result.failures.length} requests failed`,
  );
  t.diagnostic(`${result.ok} requests ok`);

  await cluster.stop();
  h = undefined;
  lap('stopped');
  assert.deepEqual(
    processesMatching(fakeCli).filter((pid) => !lab.hosts.some((x) => x.ourPids().includes(pid))),
    [],
    'nothing left here',
  );
  // The cut host's replicas notice the missing heartbeats by themselves (4 keep-alives); the hung
  // one's as soon as it runs again.
  lab.hosts[1]!.thaw();
  for (const host of lab.hosts)
    await waitFor(`nothing of ours left on ${host.name}`, () => host.ourPids().length === 0, 8000, 100);
  lap('nothing left on the hosts');
});
