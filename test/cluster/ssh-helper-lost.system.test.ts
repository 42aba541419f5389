// A lost helper is not a lost host (issue 29, item 5), over real OpenSSH: the small heartbeat
// process on a host is killed (as the OOM killer would) while a replica serves there. The heartbeat
// is started again over the SSH connection, which still works: the host stays up, the replica keeps
// its pid and serves, nothing is failed over. Killed again (now a session of its own), the same. On
// a host with no replica, ssh ends with its heartbeat; it is connected again at once, never lost.
// A cut after all that is still noticed through the new heartbeat. (Fake replicas, real gateway.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startCluster, type ClusterHandle } from '../../src/cluster/controller/controller.js';
import type { ClusterEvent } from '../../src/cluster/events.js';
import { cliEntry, repoRoot } from '../helpers/paths.js';
import { laps } from '../helpers/laps.js';
import { needSshLab, startSshLab, type TestHost } from '../helpers/ssh-lab.js';
import { fakeCli, tempWorld, testProfile, waitFor } from './helpers.js';
import { startLoad } from './load.js';

/** The heartbeat reader on a host (node -e '...ready...'), by its command line. */
function readerPids(host: TestHost): number[] {
  return host.ourPids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes("process.stdout.write('ready");
    } catch {
      return false;
    }
  });
}

test('a killed heartbeat process is started again over SSH: the host stays up, its replica keeps its pid and serves', async (t) => {
  if (!needSshLab(t)) return;
  const lap = laps(t);
  const lab = await startSshLab(2);
  const w = tempWorld();
  let h: ClusterHandle | undefined;
  t.after(async () => {
    await h?.stop().catch(() => undefined);
    lab.cleanup();
    w.cleanup();
  });
  const [h1, h2] = [lab.hosts[0]!, lab.hosts[1]!];
  const remote = (x: TestHost) => ({
    name: x.name,
    ssh: x.destination,
    workdir: repoRoot,
    node: process.execPath,
    registry: path.join(lab.dir, `${x.name}-models`),
  });
  const events: ClusterEvent[] = [];
  const profile = testProfile(w.registry, {
    replicas: { min: 1, max: 1, initial: 1 },
    resources: { cpus: 0.5, memoryBytes: 64 * 1024 ** 2, gpus: 0 },
    health: { periodMs: 200, timeoutMs: 150, failureThreshold: 3, startupTimeoutMs: 15_000 },
    env: { FAKE_REAL_CLI: cliEntry },
    // h1 first: the one replica goes there; h2 has none.
    hosts: [remote(h1), remote(h2)],
    ssh: {
      knownHostsFile: lab.knownHosts,
      identityFile: lab.userKey,
      configFile: 'none',
      connectTimeoutMs: 3000,
      keepaliveMs: 1000,
      keepaliveCount: 3,
    },
  });
  h = await startCluster(profile, {
    stateDir: w.stateDir,
    cliEntry: fakeCli,
    remoteCliEntry: fakeCli,
    onEvent: (e) => void events.push(e),
  });
  const cluster = h;
  const replica = cluster.status().replicas[0]!;
  assert.equal(replica.host, 'h1');
  lap('one replica on h1; h2 empty');
  const load = startLoad(`${cluster.gatewayUrl}/v2/models/demo/infer`, { workers: 2, maxMs: 60_000, maxRequests: 1e6 });
  // Every host state seen from now on.
  const seen = new Set<string>();
  const watch = setInterval(() => {
    for (const x of cluster.status().hosts ?? []) seen.add(`${x.name} ${x.state}`);
  }, 20);
  t.after(() => clearInterval(watch));

  // Two kills back to back (the master's own session, then a session of its own), then past the time
  // silence would have lost the host (4 keep-alives) after the second, with load on its replica.
  let lastKillAt = 0;
  for (const round of ['the master session', 'a session of its own']) {
    const [reader] = readerPids(h1);
    assert.ok(reader !== undefined, `${round}: a heartbeat process runs on h1`);
    lastKillAt = Date.now();
    process.kill(reader, 'SIGKILL');
    const again = await waitFor(
      `${round}: a new heartbeat process on h1`,
      () => readerPids(h1).find((p) => p !== reader),
      5000,
      20,
    );
    lap(`${round}: heartbeat process ${reader} killed, ${again} runs ${Date.now() - lastKillAt} ms later`);
    // Time for the new one's first beats (keep-alive 1 s) before the next kill.
    await load.moreOk(20);
    await new Promise((r) => setTimeout(r, Math.max(0, lastKillAt + 1500 - Date.now())));
  }
  await load.moreOk(50);
  await new Promise((r) => setTimeout(r, Math.max(0, lastKillAt + 5000 - Date.now())));
  assert.deepEqual(
    cluster.status().replicas.map((r) => [r.id, r.state, r.host, r.pid]),
    [[replica.id, 'ready', 'h1', replica.pid]],
    'the replica kept its pid',
  );
  lap('h1: two heartbeat processes killed, host up throughout');

  // h2 has no session but the master's: ssh ends with its heartbeat, and is connected again.
  const [reader2] = readerPids(h2);
  process.kill(reader2!, 'SIGKILL');
  await waitFor('a new heartbeat process on h2', () => readerPids(h2).find((p) => p !== reader2), 5000, 20);
  await waitFor('h2 up again', () => cluster.status().hosts!.find((x) => x.name === 'h2')!.state === 'up', 5000, 20);
  lap('h2: ssh ended with its heartbeat and was connected again');
  clearInterval(watch);
  const result = await load.stop();
  assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.ok} requests failed`);
  assert.ok(!seen.has('h1 down') && !seen.has('h1 connecting'), `h1 stayed up: ${[...seen].join(', ')}`);
  assert.ok(!seen.has('h2 down'), `h2 was never down: ${[...seen].join(', ')}`);
  assert.deepEqual(
    events.filter((e) => e.kind === 'host-lost' || e.kind === 'lost').map((e) => e.message),
    [],
    'no host lost, no replica lost',
  );
  const notes = events.filter((e) => /heartbeat/.test(e.message)).map((e) => e.message);
  for (const m of notes) t.diagnostic(m);
  assert.equal(
    notes.filter((m) => /^host h1: .*started again over it in \d+ ms; its replicas keep running/.test(m)).length,
    2,
  );
  assert.ok(
    notes.some((m) => /^host h2: its heartbeat process ended with no session open; reconnected/.test(m)),
    notes.join('\n'),
  );

  // The new heartbeat still notices a host cut off.
  const cutAt = Date.now();
  h1.cut();
  await waitFor(
    'h1 lost after the cut',
    () => events.some((e) => e.kind === 'host-lost' && /h1/.test(e.message)),
    10_000,
    20,
  );
  lap(`h1 cut: lost ${Date.now() - cutAt} ms later`);
  h1.restore();
});
