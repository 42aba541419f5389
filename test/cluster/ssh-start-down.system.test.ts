// `serve up` with the hosts it can reach (issue 29, item 2), over real OpenSSH: one SSH host's sshd
// is not running (its port refuses), and replicas.min fits on this machine. `serve up --detach`
// exits 0 showing the host down, why and its next attempt (the log warns of it), requests are
// served, `serve status --json` shows the same; once its sshd starts, the host is prepared (the
// model copied) and the replica waiting for room is placed and ready there within 30 s. (Real
// replicas and gateway, through the CLI as a user runs it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { AdminClient } from '../../src/client/admin-client.js';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import { renderStatus } from '../../src/cli/status/render.js';
import { repoRoot } from '../helpers/paths.js';
import { laps } from '../helpers/laps.js';
import { needSshLab } from '../helpers/ssh-lab.js';
import { serve } from '../e2e/cli-run.js';
import { waitFor } from './helpers.js';
import { sshWorld } from './ssh-world.js';
import { demoBody } from './load.js';

test('serve up with one SSH host refusing: exit 0 on the others, served, the host shown down; it joins within 30 s of its sshd starting', async (t) => {
  if (!needSshLab(t)) return;
  const lap = laps(t);
  const { w, lab } = await sshWorld(t, 1, async (w) => {
    if (existsSync(path.join(w.stateDir, 'serve.pid')))
      await serve(['down', '--state-dir', w.stateDir], { cwd: w.root }).catch(() => undefined);
  });
  const host = lab.hosts[0]!;
  host.kill(); // sshd gone: its port refuses connections
  const models = path.join(lab.dir, 'h1-models');
  const profile = path.join(w.root, 'p.yaml');
  writeFileSync(
    profile,
    `name: two-hosts
model: { name: cnn-lstm, version: 1, registry: ${w.registry} }
replicas: { min: 1, max: 2, initial: 2 }
autoscaling: { enabled: false }
resources: { cpus: 1, memory: 256MiB }
health: { period: 200ms, timeout: 150ms }
gateway: { port: 0 }
hosts:
  - { name: local, cpus: 1 }
  - { name: h1, ssh: "${host.destination}", workdir: ${repoRoot}, node: ${process.execPath}, registry: ${models}, cpus: 1 }
ssh: { known_hosts: ${lab.knownHosts}, identity_file: ${lab.userKey}, config_file: none, connect_timeout: 3s, keepalive: 1s }
`,
  );
  const up = await serve(['up', '--profile', profile, '--state-dir', w.stateDir, '--detach'], {
    cwd: w.root,
    timeoutMs: 60_000,
  });
  lap('serve up --detach, h1 refusing');
  assert.equal(up.code, 0, up.stderr);
  // The status it prints shows the host down, why, and when it is tried again (or `connecting`, when
  // its first retry, due 1-2 s after the start, is already under way); the log says more.
  assert.match(
    up.stdout,
    /\n {2}h1 (down: host h1 \(.*\): cannot connect \(Connection refused\).*; next attempt in \d|connecting)/,
  );
  const log = () => readFileSync(path.join(w.stateDir, 'logs', 'controller.log'), 'utf8');
  assert.match(log(), /host h1 is down at the start: .*serve starts with the other hosts and tries it again/);

  // Read while no retry is under way: the next attempt may come due 1-2 s after the start (keepalive
  // 1s, doubled, half jittered), and during it the host shows `connecting`.
  let s: ClusterStatus;
  let h1: NonNullable<ClusterStatus['hosts']>[number];
  for (let tries = 0; ; tries++) {
    const json = await serve(['status', '--json', '--state-dir', w.stateDir], { cwd: w.root });
    s = JSON.parse(json.stdout) as ClusterStatus;
    h1 = s.hosts!.find((x) => x.name === 'h1')!;
    if (h1.state !== 'connecting' || tries === 4) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(h1.state, 'down');
  assert.match(h1.reason ?? '', /cannot connect \(Connection refused\)/);
  assert.ok(h1.nextAttemptInMs !== undefined && h1.nextAttemptInMs <= 20_000, `next attempt in ${h1.nextAttemptInMs}`);
  assert.match(renderStatus(s), /\n {2}h1 down: .*Connection refused.*; next attempt in \d/);
  assert.deepEqual(
    s.replicas.map((r) => [r.state, r.host]),
    [
      ['ready', 'local'],
      ['pending', undefined],
    ],
  );
  assert.match(s.replicas[1]!.reason ?? '', /down: h1 \(/);
  const infer = await request(`${s.gatewayUrl}/v2/models/cnn-lstm/infer`, {
    method: 'POST',
    body: demoBody(),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(infer.statusCode, 200, await infer.body.text());
  await infer.body.dump();

  // Its sshd starts: the host is prepared and the pending replica is placed and ready there.
  await host.start();
  const startedAt = Date.now();
  const admin = new AdminClient(w.stateDir, 5000);
  const joined = await waitFor(
    'the pending replica ready on h1',
    async () => {
      const now = await admin.status();
      return now.replicas.some((r) => r.state === 'ready' && r.host === 'h1') ? now : undefined;
    },
    30_000,
    100,
  );
  const joinMs = Date.now() - startedAt;
  lap(`h1 joined: replica ready there ${joinMs} ms after its sshd started`);
  assert.ok(joinMs < 30_000, `joined in ${joinMs} ms`);
  assert.equal(joined.hosts!.find((x) => x.name === 'h1')!.state, 'up');
  assert.ok(existsSync(path.join(models, 'cnn-lstm', '1', 'model.onnx')), 'the model was copied when it joined');
  assert.match(log(), /host h1 is up \(it was down at the start\)/);
  const down = await serve(['down', '--state-dir', w.stateDir], { cwd: w.root });
  assert.equal(down.code, 0, down.stderr);
  lap('serve down');
});
