// Alert rules from a profile (ops): which rules a profile gets, the figures in them, the histogram
// bucket they count at, and the shipped rule file that the promtool tests run against.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { leMatcher } from '../../src/common/monitoring.js';
import type { AlertRule } from '../../src/ops/alert-context.js';
import { alertRules } from '../../src/ops/alert-rules.js';
import { renderRuleFile, yamlScalar } from '../../src/ops/alert-yaml.js';
import { loadProfile } from '../../src/profile/load.js';
import { parseProfile } from '../../src/profile/parse.js';
import { repoRoot } from '../helpers/paths.js';

const rulesOf = (yaml: string): Map<string, AlertRule> => {
  const set = alertRules(parseProfile(yaml, '', {}, repoRoot));
  return new Map(set.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
};

test('the shipped market-hours rule file is what `serve alerts --profile market-hours` writes', async () => {
  const profile = await loadProfile('market-hours', { cwd: repoRoot, env: {} });
  const text = renderRuleFile(alertRules(profile), '`serve alerts --profile market-hours`');
  const shipped = readFileSync(path.join(repoRoot, 'ops', 'tests', 'market-hours.rules.yml'), 'utf8');
  assert.equal(
    shipped,
    text,
    'regenerate it: node bin/serve.js alerts --profile market-hours --out ops/tests/market-hours.rules.yml (then run promtool test rules ops/tests/market-hours.test.yml)',
  );
});

test('a full profile gets every rule, each with a summary, a description with the figure and a runbook line', async () => {
  const set = alertRules(await loadProfile('market-hours', { cwd: repoRoot, env: {} }));
  const names = set.groups.flatMap((g) => g.rules.map((r) => r.alert));
  assert.deepEqual(names, [
    'ServeLatencyAboveTarget',
    'ServeErrorRateHigh',
    'ServeThroughputBelowMinimum',
    'ServeReplicaCpuHigh',
    'ServeReplicaMemoryHigh',
    'ServeGpuBusy',
    'ServeTargetDown',
    'ServeHealthChecksFailing',
    'ServeReplicaCrashLoop',
    'ServeAutoscalingAtMaximum',
    'ServeShedding',
    'ServeTlsCertificateExpiresSoon',
  ]);
  assert.deepEqual(set.skipped, []);
  for (const r of set.groups.flatMap((g) => g.rules)) {
    assert.ok(r.annotations.summary.length > 10 && r.annotations.runbook.length > 10, r.alert);
    assert.match(
      r.annotations.description,
      /\{\{ \$value|\{\{ \$labels/,
      `${r.alert} shows the figure or what it is about`,
    );
    assert.match(r.expr, /profile="market-hours"/, `${r.alert} selects only this profile's series`);
    assert.equal(r.labels.profile, 'market-hours');
  }
});

test('thresholds come from the profile: p99 bucket, error rate, minimum throughput, most replicas', () => {
  const rules = rulesOf(`
name: tight
model: { name: m }
replicas: { min: 1, max: 7 }
slo: { p99: 75ms, max: 150ms, error_rate: 0.5%, throughput: { target: 80, minimum: 20 } }
`);
  assert.match(rules.get('ServeLatencyAboveTarget')!.expr, /le="0\.075"/);
  assert.match(rules.get('ServeLatencyAboveTarget')!.annotations.summary, /p99 target 75ms/);
  assert.match(rules.get('ServeErrorRateHigh')!.expr, /> 0\.005$/);
  assert.match(rules.get('ServeThroughputBelowMinimum')!.expr, /< 20$/);
  assert.match(rules.get('ServeAutoscalingAtMaximum')!.annotations.summary, /most replicas \(7\)/);
});

test('targets the profile does not set give no rule, and say why', () => {
  const set = alertRules(
    parseProfile(
      `
name: bare
model: { name: m }
replicas: { min: 2, max: 2 }
resources: { gpus: 0 }
slo: { p95: 80ms }
`,
      '',
      {},
      repoRoot,
    ),
  );
  const names = set.groups.flatMap((g) => g.rules.map((r) => r.alert));
  for (const gone of [
    'ServeLatencyAboveTarget',
    'ServeErrorRateHigh',
    'ServeThroughputBelowMinimum',
    'ServeGpuBusy',
    'ServeAutoscalingAtMaximum',
  ]) {
    assert.ok(!names.includes(gone), gone);
  }
  assert.deepEqual(set.skipped, [
    'no latency rule: slo.p99 is not set',
    'no error-rate rule: slo.error_rate is not set',
    'no throughput rule: slo.throughput.minimum is not set',
    'no GPU rule: resources.gpus is 0',
    'no autoscaling rule: autoscaling is off or replicas.min equals replicas.max',
  ]);
  assert.match(renderRuleFile(set, 'a test'), /^# no GPU rule: resources\.gpus is 0$/m);
});

test('the le matcher matches what exporters write, and whole seconds as Prometheus 3 rewrites them', () => {
  assert.equal(leMatcher(0.1), 'le="0.1"');
  assert.equal(leMatcher(0.075), 'le="0.075"');
  assert.equal(leMatcher(2), 'le=~"2(\\\\.0)?"');
});

test('YAML scalars: plain words stay plain, PromQL goes single-quoted, the rest JSON-quoted', () => {
  assert.equal(yamlScalar('critical'), 'critical');
  assert.equal(yamlScalar('true'), "'true'");
  assert.equal(yamlScalar('up{a="b"} == 0'), `'up{a="b"} == 0'`);
  assert.equal(yamlScalar("the gateway's"), `"the gateway's"`);
});

test('serve up gives the gateway a histogram bucket at the p99 target, the one the latency rule counts at', async () => {
  const { gatewaySettings } = await import('../../src/cluster/launchers/child-args.js');
  const { GatewayMetrics } = await import('../../src/gateway/metrics.js');
  const profile = parseProfile('name: tight\nmodel: { name: m }\nslo: { p99: 75ms }\n', '', {}, repoRoot);
  const settings = gatewaySettings(profile);
  assert.equal(settings.latencyBucketMs, 75);
  const metrics = new GatewayMetrics(
    { inflight: () => 0, queued: () => 0, replicaCounts: () => ({ ready: 0, not_ready: 0, ejected: 0 }) },
    settings.latencyBucketMs / 1000,
  );
  metrics.observe(200, 0.07);
  metrics.observe(200, 0.09);
  const text = await metrics.text();
  const rule = alertRules(profile)
    .groups.flatMap((g) => g.rules)
    .find((r) => r.alert === 'ServeLatencyAboveTarget')!;
  const le = /,le="([^"]+)"/.exec(rule.expr)![1];
  assert.match(
    text,
    new RegExp(`serve_gateway_request_duration_seconds_bucket\\{le="${le!.replace('.', '\\.')}"\\} 1\\n`),
  );
  // The fixed buckets stay (the p99 target of the platform, 100 ms, is one of them).
  assert.match(text, /_bucket\{le="0\.1"\} 2\n/);
});

test('every series the rules read is exported by the gateway or the controller (GPU utilization excepted, documented)', async () => {
  const { GatewayMetrics } = await import('../../src/gateway/metrics.js');
  const { ControllerMetrics } = await import('../../src/cluster/monitoring/controller-metrics.js');
  const profile = await loadProfile('market-hours', { cwd: repoRoot, env: {} });
  const gateway = new GatewayMetrics({
    inflight: () => 0,
    queued: () => 0,
    replicaCounts: () => ({ ready: 0, not_ready: 0, ejected: 0 }),
  });
  // A plain gateway has no certificate gauge (a 0 would read as long expired); one with TLS has it.
  assert.ok(!(await gateway.text()).includes('serve_gateway_tls_cert_expiry_timestamp_seconds'));
  gateway.setTlsCertExpiry(1_800_000_000);
  assert.match(await gateway.text(), /^serve_gateway_tls_cert_expiry_timestamp_seconds 1800000000$/m);
  const status = {
    replicas: [{ id: 'replica-1', state: 'ready', restarts: 0, cpuPercent: 50, rssBytes: 1e8 }],
    desiredReplicas: 1,
    autoscaling: { enabled: true, active: true },
    profile: { name: 'market-hours' },
    model: { name: 'm', version: 1 },
    gateway: { restarts: 0 },
  } as unknown as import('../../src/common/cluster-status.js').ClusterStatus;
  const controller = new ControllerMetrics(
    () => status,
    () => profile,
  );
  const exported = new Set<string>();
  for (const registry of [gateway.registry, controller.registry])
    for (const m of await registry.getMetricsAsJSON()) exported.add(m.name);
  const read = new Set<string>();
  for (const rule of alertRules(profile).groups.flatMap((g) => g.rules)) {
    for (const [name] of rule.expr.matchAll(/\bserve_[a-z_]+/g)) read.add(name.replace(/_(bucket|count|sum)$/, ''));
  }
  assert.ok(read.size >= 9, [...read].join(', '));
  assert.deepEqual(
    [...read].filter((n) => !exported.has(n)),
    ['serve_controller_gpu_utilization_ratio'],
  );
});
