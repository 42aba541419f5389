// The gateway's socket holder in a running cluster (fake replicas behind the real gateway): status
// names the serving process and its holder, `serve restart gateway` replaces the serving process on
// the same socket under load with no failed request, and a serving process killed with -9 is
// replaced by its holder (one restart in status) while the holder and the URL stay; a killed holder is
// replaced by the controller on the same port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCluster } from '../../src/cluster/controller/controller.js';
import { parseProfile } from '../../src/profile/parse.js';
import { cliEntry } from '../helpers/paths.js';
import { openLoop } from '../helpers/open-loop.js';
import { isAlive } from '../../src/common/process.js';
import { fakeCli, tempWorld, waitFor } from './helpers.js';

const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

test('serve restart gateway under load fails nothing; kill -9 of the serving gateway is one restart, same holder and URL; a killed holder is replaced on the same port', async (t) => {
  const w = tempWorld();
  const profileFile = path.join(w.root, 'p.yaml');
  writeFileSync(
    profileFile,
    `name: holder
model: { name: demo, version: 1, registry: ${w.registry} }
replicas: { min: 1, max: 1, initial: 1 }
resources: { cpus: 0.1, memory: 1GiB }
health: { period: 100ms, timeout: 50ms }
gateway: { port: 0 }
local: { cpus: 2, memory: 8GiB, gpus: 0 }
env:
  FAKE_REAL_CLI: ${cliEntry}
`,
  );
  const profile = parseProfile(readFileSync(profileFile, 'utf8'), profileFile, {}, w.root);
  const cluster = await startCluster(profile, { stateDir: w.stateDir, cliEntry: fakeCli });
  const seen = new Set<number>();
  t.after(async () => {
    await cluster.stop();
    w.cleanup();
  });
  const first = cluster.status().gateway;
  assert.ok(first.pid && first.holderPid && first.pid !== first.holderPid, JSON.stringify(first));
  assert.equal(parentOf(first.pid), first.holderPid, "the serving gateway is the holder's child");
  seen.add(first.pid).add(first.holderPid);

  const load = openLoop(`${cluster.gatewayUrl}/v2/models/demo/infer`, 200, () => ({
    body: '{}',
    headers: { 'content-type': 'application/json' },
  }));
  await new Promise((r) => setTimeout(r, 300));
  const out = await promisify(execFile)(process.execPath, [cliEntry, 'restart', 'gateway', '--state-dir', w.stateDir]);
  await new Promise((r) => setTimeout(r, 300));
  await load.stop();
  const second = cluster.status().gateway;
  assert.match(
    out.stdout,
    new RegExp(
      `^gateway restarted: pid ${second.pid} serves \\(was ${first.pid}\\), on the socket held by pid ${first.holderPid}\\n$`,
    ),
  );
  assert.notEqual(second.pid, first.pid);
  assert.equal(second.holderPid, first.holderPid);
  assert.equal(second.restarts, 0, 'a planned restart is no failure');
  assert.deepEqual(load.tally.failed, [], `of ${load.tally.sent}`);
  assert.ok(load.tally.ok > 50, `${load.tally.ok} answered`);
  await waitFor('the old serving process to exit', () => !isAlive(first.pid!), 10_000, 50);
  seen.add(second.pid!);

  process.kill(second.pid!, 'SIGKILL');
  await waitFor(
    'the holder to replace it',
    () => {
      const g = cluster.status().gateway;
      return g.pid !== second.pid && g.pid !== undefined;
    },
    5000,
    20,
  );
  const third = cluster.status().gateway;
  seen.add(third.pid!);
  assert.equal(third.state, 'ready');
  assert.equal(third.restarts, 1);
  assert.equal(third.holderPid, first.holderPid);
  assert.equal(cluster.gatewayUrl, `http://127.0.0.1:${new URL(cluster.gatewayUrl).port}`);
  const r = await fetch(`${cluster.gatewayUrl}/v2/models/demo/infer`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-serve-replica') !== null, true);

  // The holder itself killed: the controller starts a new one on the same port, as it restarted the gateway.
  process.kill(third.holderPid!, 'SIGKILL');
  const fourth = await waitFor(
    'a new holder',
    () => {
      const g = cluster.status().gateway;
      return g.state === 'ready' && g.holderPid !== undefined && g.holderPid !== third.holderPid ? g : undefined;
    },
    20_000,
    20,
  );
  seen.add(fourth.holderPid!).add(fourth.pid!);
  // One more when the new holder's first bind came while the killed holder's serving process was
  // still draining on the port (it was seen once in two full runs): a start that failed, retried.
  assert.ok(fourth.restarts === 2 || fourth.restarts === 3, `restarts ${fourth.restarts}`);
  const again = await fetch(`${cluster.gatewayUrl}/v2/models/demo/infer`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(again.status, 200);

  await cluster.stop();
  for (const pid of seen) assert.equal(isAlive(pid), false, `pid ${pid} outlived the cluster`);
});
