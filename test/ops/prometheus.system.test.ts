// A real Prometheus against a running cluster (fake replicas behind the real gateway): it finds the
// controller, the gateway and every replica through the service discovery file `serve up` writes,
// scrapes them with their labels, follows a scale-up, and evaluates the alert rules without errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startCluster } from '../../src/cluster/controller.js';
import { statePaths } from '../../src/cluster/state-dir.js';
import type { SdTargetGroup } from '../../src/common/monitoring.js';
import { alertRules } from '../../src/ops/alert-rules.js';
import { renderRuleFile } from '../../src/ops/alert-yaml.js';
import { cliEntry } from '../helpers/paths.js';
import { needTool } from '../helpers/tools.js';
import { fakeCli, killAll, tempWorld, testProfile, waitFor } from '../cluster/helpers.js';

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
  const child: ChildProcess = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
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
  await waitFor(`Prometheus to be ready (output so far: ${output})`, async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output}`);
    return (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
  }, 20_000, 100);
  return url;
}

type Series = { metric: Record<string, string>; value: [number, string] };

async function query(prometheus: string, promql: string): Promise<Series[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status: string; data: { result: Series[] } };
  assert.equal(body.status, 'success');
  return body.data.result;
}

test('Prometheus finds and scrapes the cluster through the service discovery file, follows a scale-up, and evaluates the alert rules', async (t) => {
  if (!needTool(t, 'prometheus', 'prometheus')) return;
  const w = tempWorld();
  process.env.FAKE_REAL_CLI = cliEntry;
  const profile = testProfile(w.registry, { name: 'promtest', replicas: { min: 1, max: 3, initial: 2 }, slo: { p99Ms: 100, errorRate: 0.01, minRps: 1 } });
  const cluster = await startCluster(profile, { stateDir: w.stateDir, cliEntry: fakeCli });
  t.after(async () => {
    delete process.env.FAKE_REAL_CLI;
    await cluster.stop();
    w.cleanup();
  });
  const paths = statePaths(w.stateDir);
  const status = cluster.status();
  assert.match(status.controllerMetricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  assert.equal(JSON.parse(readFileSync(paths.stateFile, 'utf8')).controllerMetricsUrl, status.controllerMetricsUrl);

  // The file: one group per target, labelled, private like everything in the state directory.
  const groups = await waitFor('both replicas in the targets file', () => {
    const g = JSON.parse(readFileSync(paths.sdFile, 'utf8')) as SdTargetGroup[];
    return g.length === 4 ? g : undefined;
  });
  assert.equal(statSync(paths.sdFile).mode & 0o777, 0o600);
  const gatewayPort = new URL(cluster.gatewayUrl).port;
  assert.deepEqual(groups.map((g) => g.labels), [
    { profile: 'promtest', component: 'controller' }, { profile: 'promtest', component: 'gateway' },
    { profile: 'promtest', component: 'replica', replica: 'replica-1' }, { profile: 'promtest', component: 'replica', replica: 'replica-2' },
  ]);
  assert.deepEqual(groups[1]!.targets, [`127.0.0.1:${gatewayPort}`]);

  // The controller's own /metrics, read directly first.
  const direct = await (await fetch(status.controllerMetricsUrl!)).text();
  assert.match(direct, /^serve_controller_replicas\{state="ready"\} 2$/m);
  assert.match(direct, /^serve_controller_replicas_desired 2$/m);
  assert.match(direct, /^serve_controller_active_profile\{name="promtest",model="demo",version="1"\} 1$/m);

  const rules = path.join(w.root, 'rules.yml');
  writeFileSync(rules, renderRuleFile(alertRules(profile), 'the test'));
  const prometheus = await startPrometheus(t, [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${JSON.stringify(rules)}]`,
    'scrape_configs:',
    '  - job_name: serve',
    `    file_sd_configs: [{ files: [${JSON.stringify(paths.sdFile)}], refresh_interval: 1s }]`,
    '',
  ].join('\n'));

  const ready = await waitFor('Prometheus to hold the controller\'s ready-replica count', async () => {
    const r = await query(prometheus, 'serve_controller_replicas{state="ready",profile="promtest"}');
    return r.length === 1 && r[0]!.value[1] === '2' ? r[0] : undefined;
  }, 20_000, 200);
  assert.equal(ready.metric.component, 'controller');
  const up = await waitFor('every target up', async () => {
    const r = await query(prometheus, 'up{profile="promtest"} == 1');
    return r.length === 4 ? r : undefined;
  }, 20_000, 200);
  assert.deepEqual(up.map((s) => `${s.metric.component}/${s.metric.replica ?? ''}`).sort(), ['controller/', 'gateway/', 'replica/replica-1', 'replica/replica-2']);
  const gatewayReady = await query(prometheus, 'serve_gateway_replicas{state="ready",profile="promtest"}');
  assert.equal(gatewayReady[0]?.value[1], '2', 'the real gateway is scraped with its labels');

  // A replica that comes is found without restarting anything.
  await cluster.scale(3);
  await waitFor('replica-3 scraped', async () => (await query(prometheus, 'up{profile="promtest",replica="replica-3"} == 1')).length === 1, 20_000, 200);
  const decisions = await waitFor('the scaling decision counted', async () => {
    const r = await query(prometheus, 'serve_controller_scaling_decisions_total{profile="promtest"}');
    return r.length === 1 ? r[0] : undefined;
  }, 20_000, 200);
  assert.deepEqual([decisions.metric.direction, decisions.metric.source, decisions.value[1]], ['up', 'manual', '1']);

  // Every alert rule evaluates against the live series without an error.
  const evaluated = await waitFor('every rule evaluated', async () => {
    const res = await (await fetch(`${prometheus}/api/v1/rules`)).json() as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const all = res.data.groups.flatMap((g) => g.rules);
    return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
  }, 20_000, 200);
  assert.deepEqual(evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`), []);

  // A stopped cluster leaves no targets behind.
  await cluster.stop();
  assert.equal(existsSync(paths.sdFile), false);
});
