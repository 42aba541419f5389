// A real Prometheus against a real cluster (`serve up` with real replicas of the demo model, whose
// cluster token Prometheus cannot carry): it finds the controller, the gateway and every replica
// through the service discovery file `serve up` writes, scrapes every one of them (`up` in
// /api/v1/targets) with their labels, and evaluates the alert rules without errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { statePaths } from '../../src/cluster/state/state-dir.js';
import type { SdTargetGroup } from '../../src/common/monitoring.js';
import { alertRules } from '../../src/ops/alert-rules.js';
import { renderRuleFile } from '../../src/ops/alert-yaml.js';
import { loadProfile } from '../../src/profile/load.js';
import { startServeUp } from '../helpers/serve-up.js';
import { needTool } from '../helpers/tools.js';
import { killAll, waitFor } from '../cluster/helpers.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts Prometheus on a free loopback port with its own data folder; killed when the test ends. */
async function startPrometheus(t: { after(fn: () => unknown): void }, config: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-prometheus-'));
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
      if (child.pid) killAll([child.pid]);
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `Prometheus to be ready (output so far: ${output})`,
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
    },
    20_000,
    100,
  );
  return url;
}

type Series = { metric: Record<string, string>; value: [number, string] };

async function query(prometheus: string, promql: string): Promise<Series[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`, {
    signal: AbortSignal.timeout(5000),
  });
  const body = (await res.json()) as { status: string; data: { result: Series[] } };
  assert.equal(body.status, 'success');
  return body.data.result;
}

type Target = {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
};

/** Prometheus' active targets of the job, once each has been scraped at least once. */
async function scrapedTargets(prometheus: string, count: number): Promise<Target[] | undefined> {
  const res = await fetch(`${prometheus}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(5000) });
  const targets = ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
  return targets.length === count && targets.every((x) => x.health !== 'unknown') ? targets : undefined;
}

test('Prometheus scrapes every target of the service discovery file of a real cluster and evaluates the alert rules', async (t) => {
  if (!needTool(t, 'prometheus', 'prometheus')) return;
  const cluster = await startServeUp(t, { name: 'promtest', replicas: 2 });
  const paths = statePaths(cluster.stateDir);
  const status = cluster.status;
  assert.match(status.controllerMetricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  assert.equal(JSON.parse(readFileSync(paths.stateFile, 'utf8')).controllerMetricsUrl, status.controllerMetricsUrl);

  // The file: one group per target, labelled, private like everything in the state directory.
  const groups = await waitFor('both replicas in the targets file', () => {
    const g = JSON.parse(readFileSync(paths.sdFile, 'utf8')) as SdTargetGroup[];
    return g.length === 4 ? g : undefined;
  });
  assert.equal(statSync(paths.sdFile).mode & 0o777, 0o600);
  assert.deepEqual(
    groups.map((g) => g.labels),
    [
      { profile: 'promtest', component: 'controller' },
      { profile: 'promtest', component: 'gateway' },
      { profile: 'promtest', component: 'replica', replica: 'replica-1' },
      { profile: 'promtest', component: 'replica', replica: 'replica-2' },
    ],
  );
  assert.deepEqual(groups[1]!.targets, [new URL(status.gatewayUrl).host]);

  const rules = path.join(cluster.root, 'rules.yml');
  writeFileSync(
    rules,
    renderRuleFile(alertRules(await loadProfile(cluster.profile, { cwd: cluster.root, env: {} })), 'the test'),
  );
  const prometheus = await startPrometheus(
    t,
    [
      'global: { scrape_interval: 500ms, scrape_timeout: 400ms, evaluation_interval: 500ms }',
      `rule_files: [${JSON.stringify(rules)}]`,
      'scrape_configs:',
      '  - job_name: serve',
      `    file_sd_configs: [{ files: [${JSON.stringify(paths.sdFile)}], refresh_interval: 1s }]`,
      '',
    ].join('\n'),
  );

  // Every target of the file is up: the replicas answer /metrics without the cluster token.
  const targets = await waitFor(
    'Prometheus to scrape every target once',
    () => scrapedTargets(prometheus, 4),
    20_000,
    200,
  );
  assert.deepEqual(
    targets.filter((x) => x.health !== 'up').map((x) => `${x.scrapeUrl}: ${x.health} (${x.lastError})`),
    [],
  );
  assert.deepEqual(
    targets.map((x) => x.scrapeUrl.replace(/^https?:\/\/|\/metrics$/g, '')).sort(),
    groups.flatMap((g) => g.targets).sort(),
  );
  const replicaSeries = await waitFor(
    'a replica series with its labels',
    async () =>
      (
        await query(prometheus, 'serve_replica_request_duration_seconds_count{profile="promtest",replica="replica-2"}')
      )[0],
    10_000,
    200,
  );
  assert.equal(replicaSeries.metric.component, 'replica');
  const gatewayReady = await query(prometheus, 'serve_gateway_replicas{state="ready",profile="promtest"}');
  assert.equal(gatewayReady[0]?.value[1], '2', 'the real gateway is scraped with its labels');

  // Every alert rule evaluates against the live series without an error, and no target is down.
  const evaluated = await waitFor(
    'every rule evaluated',
    async () => {
      const res = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; state?: string }> }> };
      };
      const all = res.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
    },
    20_000,
    200,
  );
  assert.deepEqual(
    evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`),
    [],
  );
  assert.deepEqual(
    (await scrapedTargets(prometheus, 4))?.filter((x) => x.health !== 'up').map((x) => x.scrapeUrl),
    [],
    'still every target up',
  );

  // A stopped cluster leaves no targets behind.
  cluster.child.kill('SIGINT');
  await waitFor('serve up to exit', () => cluster.child.exitCode !== null, 20_000, 50);
  assert.equal(existsSync(paths.sdFile), false);
});
