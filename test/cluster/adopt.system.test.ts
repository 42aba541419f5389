// The data plane outlives the controller (issue 26, items 1 and 2) on a real local cluster: the demo
// model, a gateway and 2 replicas of one ONNX Runtime thread. Under a steady request loop the
// controller alone is killed with SIGKILL: no request fails, and `serve up` on the same profile and
// state directory adopts the same gateway (holder and serving process) and replica pids within 2 s,
// serving on. Then a replica that cannot say hello (SIGSTOP) is killed and replaced while the
// others are adopted, and `serve down` leaves no process of the cluster alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import { SD_FILE_NAME } from '../../src/common/monitoring.js';
import { isAlive } from '../../src/common/process.js';
import { writeDemoModel } from '../../src/model/demo.js';
import { smallProfileYaml } from '../helpers/serve-up.js';
import { cliEntry } from '../helpers/paths.js';
import { journalReady, killController, pidsOf, serveUp } from '../helpers/serve-up-json.js';
import { killAll, tempWorld, waitFor } from './helpers.js';
import { startLoad } from './load.js';

/** The adoption's own time, from the startup line "adopted ... in N ms". */
function adoptedMs(stderr: string): number {
  const m = /adopted from the controller that died .* in (\d+) ms/.exec(stderr);
  assert.ok(m, `a startup line says what was adopted: ${stderr}`);
  return Number(m[1]);
}

function serve(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [cliEntry, ...args], { encoding: 'utf8' });
}

test('kill -9 of the controller: 0 failed requests; serve up adopts the same pids within 2 s; serve down stops all', async (t) => {
  const w = tempWorld();
  await writeDemoModel(w.registry);
  const profile = path.join(w.root, 'adopt.yaml');
  writeFileSync(profile, smallProfileYaml(w.registry, { name: 'adopt', replicas: 2 }));
  const seen = new Set<number>();
  t.after(() => {
    killAll([...seen]);
    w.cleanup();
  });

  const up1 = await serveUp(w.root, profile, w.stateDir);
  const before = pidsOf(up1.status);
  for (const p of [up1.child.pid!, ...before]) seen.add(p);
  await journalReady(w.stateDir, up1.child.pid!, 3);
  const load = startLoad(`${up1.status.gatewayUrl}/v2/models/cnn-lstm/infer`, {
    workers: 2,
    maxMs: 30_000,
    maxRequests: 20_000,
    pauseMs: 5,
  });
  await load.moreOk(20);
  await killController(up1);
  const killedAt = load.result.ok;
  await load.moreOk(100); // a few seconds with no controller at all
  for (const p of before) assert.ok(isAlive(p), `pid ${p} serves on without its controller`);

  const up2 = await serveUp(w.root, profile, w.stateDir);
  seen.add(up2.child.pid!);
  const adoptMs = adoptedMs(up2.stderr());
  assert.deepEqual(pidsOf(up2.status), before, 'the same gateway (holder, serving process) and replica pids');
  assert.equal(up2.status.gateway.adopted, true);
  assert.ok(up2.status.replicas.every((r) => r.adopted && r.state === 'ready' && r.restarts === 0));
  assert.equal(up2.status.gatewayUrl, up1.status.gatewayUrl);
  assert.ok(adoptMs < 2000, `adopted in ${adoptMs} ms (serve up to its status: ${up2.wallMs} ms)`);
  // Supervision resumed: the Prometheus targets name the adopted gateway and replicas, and the
  // probes' readings of each adopted replica come in.
  const sd = readFileSync(path.join(w.stateDir, SD_FILE_NAME), 'utf8');
  for (const url of [up2.status.gatewayUrl, ...up2.status.replicas.map((r) => r.url!)])
    assert.ok(sd.includes(new URL(url).host), `${url} in the targets file`);
  await waitFor('probe readings of the adopted replicas', async () => {
    const s = JSON.parse(serve(['status', '--json', '--state-dir', w.stateDir]).stdout) as ClusterStatus;
    return s.replicas.every((r) => r.adopted && r.rssBytes !== undefined);
  });
  await load.moreOk(50);
  const result = await load.stop();
  assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.ok + result.failures.length} failed`);
  t.diagnostic(
    `adopted in ${adoptMs} ms (serve up to status ${up2.wallMs} ms); ${result.ok} requests ok, ` +
      `${result.ok - killedAt} after the kill, 0 failed`,
  );

  // A replica that cannot answer (stopped) is not trusted: killed and replaced; the rest adopted.
  await journalReady(w.stateDir, up2.child.pid!, 3);
  await killController(up2);
  const stopped = up2.status.replicas[1]!;
  process.kill(stopped.pid!, 'SIGSTOP');
  const up3 = await serveUp(w.root, profile, w.stateDir);
  seen.add(up3.child.pid!);
  const now = pidsOf(up3.status);
  for (const p of now) seen.add(p);
  assert.match(up3.stderr(), new RegExp(`${stopped.id} \\(pid ${stopped.pid}\\): no hello`));
  const replaced = up3.status.replicas.find((r) => r.id !== up2.status.replicas[0]!.id)!;
  assert.notEqual(replaced.pid, stopped.pid);
  assert.ok(!replaced.adopted && replaced.state === 'ready');
  assert.equal(up3.status.replicas.find((r) => r.id === up2.status.replicas[0]!.id)?.pid, up2.status.replicas[0]!.pid);
  assert.ok(!isAlive(stopped.pid!), 'the stopped replica was killed');

  // This controller dies too: `serve status` asks the data plane it left directly, and `serve down`
  // stops it without a controller (issue 26, item 3).
  await journalReady(w.stateDir, up3.child.pid!, 3);
  await killController(up3);
  const st = serve(['status', '--state-dir', w.stateDir]);
  assert.equal(st.status, 3, st.stderr);
  assert.match(st.stdout, /^The controller of .* is down since .* UTC: the controller \(pid \d+, profile adopt\) died/);
  assert.match(st.stdout, /The data plane is serving without it/);
  assert.match(st.stdout, /gateway pid \d+ at http:\/\/127\.0\.0\.1:\d+: serving \(ready\)/);
  assert.match(st.stdout, /Re-adopt it with `serve up --profile adopt --state-dir /);
  const down = serve(['down', '--state-dir', w.stateDir]);
  assert.equal(down.status, 0, down.stderr);
  assert.match(
    down.stdout,
    /^stopped what the controller \(pid \d+, died without stopping\) left serving: gateway pid \d+/,
  );
  for (const p of seen) assert.ok(!isAlive(p), `pid ${p} is gone once serve down returned`);
  // Nor anything else in their process groups (the holder's standby gateway, say).
  const groups = [up3.status.gateway.holderPid!, ...up3.status.replicas.map((r) => r.pid!)];
  const left = execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && groups.includes(Number(f[1])) && !f[2]!.startsWith('Z'));
  assert.deepEqual(left, [], 'no process left in the groups of the cluster');
  // Nor a socket in run/: those of children killed with SIGKILL are swept once nothing listens.
  const sockets = readdirSync(path.join(w.stateDir, 'run')).filter((n) => n.endsWith('.sock'));
  assert.deepEqual(sockets, [], 'no socket left in run/');
});
