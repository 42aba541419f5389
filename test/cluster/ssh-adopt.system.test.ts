// The data plane outlives the controller on an SSH host too (issue 26), over real OpenSSH (one sshd
// in a network namespace, test/helpers/ssh-lab.ts): a gateway and a replica here, a replica on h1
// (detached there: its own session, a control socket in a 0700 run directory). Under a request loop
// the controller alone is killed with SIGKILL; past the replica's heartbeat deadline it still serves
// (no failed request), `serve up` adopts the same pids, h1's over SSH (its /proc there, its hello
// through a forward of its socket); then the new controller is killed with SIGKILL too, and `serve
// down`, without a controller, stops them all, h1's over ssh as the journal says to reach it. (Real
// replicas and gateway, through the CLI as a user runs it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ControllerJournal } from '../../src/common/controller-journal.js';
import { isAlive } from '../../src/common/process.js';
import { repoRoot } from '../helpers/paths.js';
import { laps } from '../helpers/laps.js';
import { journalReady, killController, pidsOf, serveUp } from '../helpers/serve-up-json.js';
import { needSshLab } from '../helpers/ssh-lab.js';
import { serve } from '../e2e/cli-run.js';
import { killAll, waitFor } from './helpers.js';
import { sshWorld } from './ssh-world.js';
import { startLoad } from './load.js';

test('kill -9 of the controller with an SSH host: its replica serves on past its heartbeat deadline, is adopted over SSH, and with that controller dead too serve down stops it there', async (t) => {
  if (!needSshLab(t)) return;
  const lap = laps(t);
  const seen = new Set<number>();
  const { w, lab } = await sshWorld(t, 1, async (w) => {
    await serve(['down', '--state-dir', w.stateDir], { cwd: w.root }).catch(() => undefined);
    killAll([...seen]);
  });
  const host = lab.hosts[0]!;
  const profile = path.join(w.root, 'p.yaml');
  writeFileSync(
    profile,
    `name: ssh-adopt
model: { name: cnn-lstm, version: 1, registry: ${w.registry} }
replicas: { min: 1, max: 2, initial: 2 }
autoscaling: { enabled: false }
resources: { cpus: 1, memory: 256MiB }
runtime: { device: cpu, threads: 1 }
health: { period: 200ms, timeout: 150ms }
gateway: { host: 127.0.0.1, port: 0 }
hosts:
  - { name: local, cpus: 1 }
  - { name: h1, ssh: "${host.destination}", workdir: ${repoRoot}, node: ${process.execPath}, registry: ${path.join(lab.dir, 'h1-models')}, cpus: 1 }
ssh: { known_hosts: ${lab.knownHosts}, identity_file: ${lab.userKey}, config_file: none, connect_timeout: 3s, keepalive: 1s, keepalive_count: 2 }
`,
  );
  const up1 = await serveUp(w.root, profile, w.stateDir);
  const before = pidsOf(up1.status);
  for (const p of [up1.child.pid!, ...before]) seen.add(p);
  const remote = up1.status.replicas.find((r) => r.host === 'h1')!;
  assert.equal(remote.state, 'ready');
  assert.ok(host.ourPids().includes(remote.pid!), `${remote.id} (pid ${remote.pid}) runs on h1`);
  await journalReady(w.stateDir, up1.child.pid!, 3);
  // The journal has what a new controller needs to find it again there.
  const j = JSON.parse(readFileSync(path.join(w.stateDir, 'controller.json'), 'utf8')) as ControllerJournal;
  const rec = j.children.find((c) => c.id === remote.id)!;
  assert.equal(rec.host, 'h1');
  assert.ok(
    rec.startTicks! > 0 && rec.port === remote.port && rec.modelDigest?.startsWith('sha256:'),
    JSON.stringify(rec),
  );
  const runDir = path.join(lab.dir, 'h1', 'home', '.serve', 'run');
  assert.match(path.relative(runDir, rec.controlSocket!), /^[0-9a-f]{12}\/replica-\d+\.[0-9a-f]{8}\.sock$/);
  assert.equal(statSync(path.dirname(rec.controlSocket!)).mode & 0o777, 0o700);
  lap('serve up: gateway and a replica here, a replica on h1');

  const load = startLoad(`${up1.status.gatewayUrl}/v2/models/cnn-lstm/infer`, {
    workers: 2,
    maxMs: 60_000,
    maxRequests: 50_000,
    pauseMs: 5,
  });
  await load.moreOk(20);
  await killController(up1);
  // Past h1's heartbeat deadline (keepalive 1s x (2 + 1)): no controller, the replica serves on.
  await new Promise((r) => setTimeout(r, 4000));
  await load.moreOk(20).catch((err: Error) => {
    t.diagnostic(String(load.result.failures[0]));
    for (const f of ['gateway.log', 'controller.log', `${remote.id}.log`])
      try {
        t.diagnostic(`${f}: ` + readFileSync(path.join(w.stateDir, 'logs', f), 'utf8').slice(-3000));
      } catch {
        // none
      }
    throw err;
  });
  for (const p of before) assert.ok(isAlive(p), `pid ${p} serves on without its controller`);
  lap('4 s with no controller');

  const up2 = await serveUp(w.root, profile, w.stateDir);
  seen.add(up2.child.pid!);
  assert.match(
    up2.stderr(),
    new RegExp(`adopted from the controller that died .*${remote.id} \\(pid ${remote.pid}\\)`),
  );
  assert.deepEqual(pidsOf(up2.status), before, 'the same gateway and replica pids, h1 included');
  const adopted = up2.status.replicas.find((r) => r.id === remote.id)!;
  assert.ok(adopted.adopted && adopted.state === 'ready' && adopted.host === 'h1', JSON.stringify(adopted));
  lap('serve up adopted them all');
  // Supervised again: the new controller's heartbeats keep it (past the deadline once more).
  await new Promise((r) => setTimeout(r, 3500));
  await load.moreOk(20);
  assert.ok(isAlive(remote.pid!), 'the adopted replica on h1 gets the new heartbeats');
  const result = await load.stop();
  assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.ok + result.failures.length} failed`);
  t.diagnostic(`${result.ok} requests ok, 0 failed`);

  // The journal of the new controller has how to reach h1 again with the system ssh.
  await journalReady(w.stateDir, up2.child.pid!, 3);
  const j2 = JSON.parse(readFileSync(path.join(w.stateDir, 'controller.json'), 'utf8')) as ControllerJournal;
  const reach = j2.sshHosts?.h1;
  assert.ok(
    reach && reach.args.at(-1) === host.destination && reach.args.includes('BatchMode=yes'),
    JSON.stringify(reach),
  );
  assert.ok(j2.children.find((c) => c.id === remote.id)?.startTicks === rec.startTicks, 'the start time there is kept');

  // The new controller dies too: `serve down`, with no controller, stops everything, h1's over ssh.
  await killController(up2);
  // Without a controller, status looks at h1's replica over ssh, then asks it for readiness.
  const st = await serve(['status', '--json', '--state-dir', w.stateDir], { cwd: w.root, timeoutMs: 30_000 });
  assert.equal(st.code, 3, st.stderr);
  const said = JSON.parse(st.stdout) as {
    controllerDied: { children: { id: string; state: string }[] };
    dataPlane: { children: { id: string; answer: string }[] };
  };
  assert.equal(said.controllerDied.children.find((c) => c.id === remote.id)?.state, 'running', st.stdout);
  assert.equal(said.dataPlane.children.find((c) => c.id === remote.id)?.answer, 'ready', st.stdout);
  const down = await serve(['down', '--state-dir', w.stateDir], { cwd: w.root, timeoutMs: 30_000 });
  assert.equal(down.code, 0, down.stdout + down.stderr);
  assert.match(down.stdout, new RegExp(`left serving: .*${remote.id} pid ${remote.pid} on h1`), down.stdout);
  await waitFor('nothing of ours left on h1', () => host.ourPids().length === 0, 5000, 50);
  for (const p of seen) assert.ok(!isAlive(p), `pid ${p} is gone once serve down returned`);
  assert.ok(!existsSync(rec.controlSocket!), 'its socket there is removed');
  lap('kill -9 of the new controller, then serve status and serve down without it');
});
