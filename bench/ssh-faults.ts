// Benchmark: host faults over real OpenSSH, longer than the tests run them (control plane). This
// machine plus two sshd hosts in network namespaces (test/helpers/ssh-lab.ts; root needed), six
// fake replicas behind the real gateway under closed-loop load; each round cuts one host off
// (packets vanish) or hangs it whole (SIGSTOP), times until its replicas are ready elsewhere,
// restores it and waits for it to be up again. Counts failed requests over all rounds.
// Writes bench/results/ssh-faults-keepalive-<ms>ms.{json,md}. Usage: node dist/bench/ssh-faults.js [--rounds 6] [--keepalive 1000]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster } from '../src/cluster/controller/controller.js';
import { cliEntry } from '../test/helpers/paths.js';
import { startSshLab } from '../test/helpers/ssh-lab.js';
import { fakeCli, tempWorld, testProfile, waitFor } from '../test/cluster/helpers.js';
import { startLoad } from '../test/cluster/load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '6' }, keepalive: { type: 'string', default: '1000' } },
});
const rounds = Number(args.rounds);
const keepaliveMs = Number(args.keepalive);

interface Round {
  host: string;
  fault: 'cut' | 'hang';
  replacedMs: number;
  upAgainMs: number;
}

const lab = await startSshLab(2);
const w = tempWorld();
process.env.FAKE_REAL_CLI = cliEntry;
const remote = (i: number) => ({
  name: `h${i + 1}`,
  ssh: lab.hosts[i]!.destination,
  workdir: repoRoot,
  node: process.execPath,
  registry: path.join(lab.dir, `h${i + 1}-models`),
});
const profile = testProfile(w.registry, {
  replicas: { min: 1, max: 6, initial: 6 },
  resources: { cpus: 0.5, memoryBytes: 64 * 1024 ** 2, gpus: 0 },
  health: { periodMs: 200, timeoutMs: 150, failureThreshold: 3, startupTimeoutMs: 15_000 },
  gateway: { requestTimeoutMs: 30_000 },
  hosts: [{ name: 'local', node: 'node', cpus: 3 }, remote(0), remote(1)],
  ssh: {
    knownHostsFile: lab.knownHosts,
    identityFile: lab.userKey,
    configFile: 'none',
    connectTimeoutMs: 3000,
    keepaliveMs,
    keepaliveCount: 3,
  },
});
const cluster = await startCluster(profile, { stateDir: w.stateDir, cliEntry: fakeCli, remoteCliEntry: fakeCli });
const results: Round[] = [];
const load = startLoad(`${cluster.gatewayUrl}/v2/models/demo/infer`, {
  workers: 4,
  maxMs: 30 * 60_000,
  maxRequests: 10_000_000,
});
try {
  for (let i = 0; i < rounds; i++) {
    const host = lab.hosts[i % 2]!;
    const fault = i % 4 < 2 ? 'cut' : 'hang';
    await load.moreOk(200, 60_000);
    const t0 = Date.now();
    if (fault === 'cut') host.cut();
    else host.freeze();
    await waitFor(
      'replaced',
      () => {
        const s = cluster.status();
        return s.replicas.filter((r) => r.state === 'ready').length === 6 &&
          !s.replicas.some((r) => r.host === host.name)
          ? s
          : undefined;
      },
      120_000,
      50,
    );
    const replacedMs = Date.now() - t0;
    if (fault === 'cut') host.restore();
    else host.thaw();
    const t1 = Date.now();
    await waitFor(
      'up again',
      () => cluster.status().hosts!.find((x) => x.name === host.name)!.state === 'up',
      120_000,
      100,
    );
    results.push({ host: host.name, fault, replacedMs, upAgainMs: Date.now() - t1 });
    process.stderr.write(
      `round ${i + 1}: ${host.name} ${fault}: replaced in ${replacedMs} ms, up again ${Date.now() - t1} ms after the repair\n`,
    );
  }
} finally {
  const result = await load.stop();
  await cluster.stop();
  lab.cleanup();
  w.cleanup();
  const sorted = results.map((r) => r.replacedMs).sort((a, b) => a - b);
  const summary = {
    at: new Date().toISOString(),
    cpus: os.availableParallelism(),
    node: process.version,
    keepaliveMs,
    keepaliveCount: 3,
    rounds: results,
    requestsOk: result.ok,
    requestsFailed: result.failures.length,
    failures: result.failures.slice(0, 10),
    replacedMs: { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) },
  };
  const out = path.join(repoRoot, 'bench', 'results');
  writeFileSync(path.join(out, `ssh-faults-keepalive-${keepaliveMs}ms.json`), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(
    path.join(out, `ssh-faults-keepalive-${keepaliveMs}ms.md`),
    [
      '# Host faults over SSH: lost hosts and their replicas replaced',
      '',
      `${summary.at} · ${summary.cpus} CPUs · Node ${summary.node} · ssh.keepalive ${keepaliveMs} ms x 3 · ${results.length} rounds`,
      '',
      '| round | host | fault | replicas ready elsewhere after | host up again after repair |',
      '|---:|---|---|---:|---:|',
      ...results.map(
        (r, i) =>
          `| ${i + 1} | ${r.host} | ${r.fault === 'cut' ? 'network cut (packets to it vanish)' : 'hung (every process stopped)'} | ${r.replacedMs} ms | ${r.upAgainMs} ms |`,
      ),
      '',
      `Replaced: min ${summary.replacedMs.min} ms, median ${summary.replacedMs.median} ms, max ${summary.replacedMs.max} ms.`,
      `Requests: ${result.ok} ok, ${result.failures.length} failed (4 closed-loop workers through the real gateway, fake replicas).`,
      '',
    ].join('\n'),
  );
  process.stderr.write(
    `${result.ok} ok, ${result.failures.length} failed; results in bench/results/ssh-faults-keepalive-${keepaliveMs}ms.md\n`,
  );
}
