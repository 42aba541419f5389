// Tokens stay secret in a running cluster: with tokens from the environment and from a tokens file,
// fake replicas behind the real gateway, no token (nor its digest) shows up in the state directory's
// files and logs, the status JSON, any error body, /metrics, `serve validate --json`, or a child's
// command line or environment (only the allow-list and the profile's env: reach a child); and the
// state directory, its logs and socket stay private.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCluster } from '../../src/cluster/controller/controller.js';
import { statePaths } from '../../src/cluster/state/state-dir.js';
import { AdminClient } from '../../src/client/admin-client.js';
import { hashToken } from '../../src/common/auth.js';
import { allowedInChild } from '../../src/common/child-env.js';
import { parseProfile } from '../../src/profile/parse.js';
import { cliEntry } from '../helpers/paths.js';
import { fakeCli, tempWorld, waitFor } from './helpers.js';

const ALICE = 'alice-7c1e0f9a2b3d4c5e6f708192';
const BOB = 'bob-0d9e8f7a6b5c4d3e2f1a0b9c';
const SECRETS = [ALICE, BOB, hashToken(ALICE), hashToken(BOB)];
/** Secrets in the environment of the controller (this process), none of them for its children. */
const PARENT_SECRETS = {
  ALICE_TOKEN: ALICE,
  AWS_SECRET_ACCESS_KEY: 'aws-4f3e2d1c0b9a8f7e6d5c4b3a',
  SERVE_TEST_SECRET_XYZ: 'xyz-9a8b7c6d5e4f3a2b1c0d',
  SERVE_TOKEN: 'bench-token-1a2b3c4d5e6f',
};

/** The NAME=VALUE entries of a process's environment (what it was started with). */
function environ(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

function assertNoSecret(where: string, text: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${where} shows ${s.slice(0, 8)}...`);
}

test('no token or digest appears in state files, logs, status, error bodies, /metrics, validate or argv; the state directory stays private', async (t) => {
  const w = tempWorld();
  const tokensFile = path.join(w.root, 'tokens');
  writeFileSync(tokensFile, `bob ${BOB} requests_per_second=5 burst=2\n`, { mode: 0o600 });
  const profileFile = path.join(w.root, 'p.yaml');
  writeFileSync(
    profileFile,
    `name: secrets
model: { name: demo, version: 1, registry: ${w.registry} }
replicas: { min: 1, max: 2, initial: 1 }
resources: { cpus: 0.1, memory: 1GiB }
health: { period: 100ms, timeout: 50ms }
gateway:
  port: 0
  auth:
    tokens: [{ name: alice, token: "\${ALICE_TOKEN}" }]
    tokens_file: ${tokensFile}
local: { cpus: 2, memory: 8GiB, gpus: 0 }
env:
  FAKE_REAL_CLI: ${cliEntry}
  SERVE_TEST_PASSED: "from the profile, = and spaces kept"
`,
  );
  const env = { ALICE_TOKEN: ALICE };
  const profile = parseProfile(readFileSync(profileFile, 'utf8'), profileFile, env, w.root);
  Object.assign(process.env, PARENT_SECRETS, { SERVE_LOG_LEVEL: 'info' });
  const cluster = await startCluster(profile, { stateDir: w.stateDir, cliEntry: fakeCli });
  t.after(async () => {
    for (const name of [...Object.keys(PARENT_SECRETS), 'SERVE_LOG_LEVEL']) delete process.env[name];
    await cluster.stop();
    w.cleanup();
  });
  const infer = `${cluster.gatewayUrl}/v2/models/demo/infer`;
  const call = async (url: string, token?: string, init: RequestInit = {}) => {
    const res = await fetch(url, {
      ...init,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    return { status: res.status, text: await res.text() };
  };

  // Every kind of error answer, with the real tokens and near misses of them in the requests.
  const errors = [
    await call(infer, undefined, { method: 'POST', body: '{}' }),
    await call(infer, `${ALICE}x`, { method: 'POST', body: '{}' }),
    await call(infer, BOB.slice(0, -1), { method: 'POST', body: '{}' }),
    await call(`${cluster.gatewayUrl}/nope`, ALICE),
    await call(`${cluster.gatewayUrl}/v2/models/demo`, ALICE, { method: 'DELETE' }),
    await call(`${cluster.gatewayUrl}/metrics`),
  ];
  assert.deepEqual(
    errors.map((e) => e.status),
    [401, 401, 401, 404, 405, 401],
  );
  assert.equal((await call(infer, ALICE, { method: 'POST', body: '{}' })).status, 200);
  const bob = await Promise.all([1, 2, 3, 4, 5].map(() => call(infer, BOB, { method: 'POST', body: '{}' })));
  const overQuota = bob.filter((r) => r.status === 429);
  assert.ok(overQuota.length >= 1, 'bob went over his burst of 2');
  errors.push(...overQuota);
  for (const [i, e] of errors.entries()) assertNoSecret(`error body ${i} (${e.status})`, e.text);

  const metrics = await call(`${cluster.gatewayUrl}/metrics`, ALICE);
  assert.equal(metrics.status, 200);
  assert.match(metrics.text, /serve_gateway_quota_rejections_total\{token="bob"\}/);
  assertNoSecret('the gateway /metrics', metrics.text);
  const status = cluster.status();
  assertNoSecret('the controller /metrics', await (await fetch(status.controllerMetricsUrl!)).text());
  assertNoSecret('status()', JSON.stringify(status));
  assertNoSecret(
    'the admin API status (serve status --json)',
    JSON.stringify(await new AdminClient(w.stateDir, 5000).status()),
  );

  // The children's command lines (what `ps` shows).
  const pids = [status.gateway.pid!, ...status.replicas.map((r) => r.pid!)];
  pids.push(status.gateway.holderPid!);
  for (const pid of pids)
    assertNoSecret(`the command line of pid ${pid}`, readFileSync(`/proc/${pid}/cmdline`, 'utf8'));

  // Their environments: the allow-list and the profile's env:, nothing else of this process's.
  assert.equal(pids.length, 3, 'the gateway, its socket holder and one replica');
  for (const pid of pids) {
    const vars = environ(pid);
    const text = readFileSync(`/proc/${pid}/environ`, 'utf8');
    for (const [name, value] of Object.entries(PARENT_SECRETS)) {
      assert.ok(!vars.has(name), `pid ${pid} was started with ${name}`);
      assert.ok(!text.includes(value), `the environment of pid ${pid} shows the value of ${name}`);
    }
    assertNoSecret(`the environment of pid ${pid}`, text);
    assert.equal(vars.get('SERVE_TEST_PASSED'), 'from the profile, = and spaces kept', `pid ${pid}: the profile's env`);
    assert.equal(vars.get('PATH'), process.env.PATH, `pid ${pid}: PATH passes`);
    assert.equal(vars.get('SERVE_LOG_LEVEL'), 'info', `pid ${pid}: serve's own variables pass`);
    // The serving gateway is its holder's fork: Node's IPC channel variables (no value of ours) come with it.
    const ipc = pid === status.gateway.pid ? ['NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE'] : [];
    const others = [...vars.keys()].filter((k) => !allowedInChild(k) && !ipc.includes(k));
    assert.deepEqual(others.sort(), ['FAKE_REAL_CLI', 'SERVE_TEST_PASSED'], `pid ${pid}: nothing else`);
  }

  // Every file of the state directory, logs included (the gateway logs its token names).
  const paths = statePaths(w.stateDir);
  await waitFor(
    'the gateway to log its tokens',
    () => readFileSync(path.join(paths.logsDir, 'gateway.log'), 'utf8').includes('tokens set'),
    5000,
  );
  const all = files(paths.dir);
  assert.ok(
    all.some((f) => f.endsWith('state.json')) &&
      all.some((f) => f.endsWith('gateway.log')) &&
      all.some((f) => f.endsWith('prometheus-targets.json')),
  );
  for (const f of all) {
    // The admin socket and the children's control sockets (run/): private, nothing to read.
    if (statSync(f).isSocket()) {
      assert.equal(statSync(f).mode & 0o077, 0, `${path.relative(paths.dir, f)} is private`);
      continue;
    }
    assertNoSecret(path.relative(paths.dir, f), readFileSync(f, 'utf8'));
    assert.equal(statSync(f).mode & 0o077, 0, `${path.relative(paths.dir, f)} is private`);
  }
  assert.match(readFileSync(path.join(paths.logsDir, 'gateway.log'), 'utf8'), /"tokens":\["alice","bob"\]/);
  for (const [p, mode] of [
    [paths.dir, 0o700],
    [paths.logsDir, 0o700],
    [path.join(paths.dir, 'run'), 0o700],
    [paths.adminSocket, 0o600],
  ] as const) {
    assert.equal(statSync(p).mode & 0o777, mode, `${p} has mode ${mode.toString(8)}`);
  }

  // serve validate prints the profile, tokens by name only; a broken profile hides the token too.
  const validate = (file: string) =>
    spawnSync(process.execPath, [cliEntry, 'validate', file, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      cwd: w.root,
    });
  const ok = validate(profileFile);
  assert.equal(ok.status, 0, ok.stderr);
  assertNoSecret('serve validate --json', ok.stdout + ok.stderr);
  assert.deepEqual((JSON.parse(ok.stdout) as { gateway: { auth: { tokens: unknown[] } } }).gateway.auth.tokens, [
    { name: 'alice' },
    { name: 'bob', requestsPerSecond: 5, burst: 2 },
  ]);
  writeFileSync(
    path.join(w.root, 'bad.yaml'),
    readFileSync(profileFile, 'utf8').replace('port: 0', `port: "\${ALICE_TOKEN}"`),
  );
  const bad = validate(path.join(w.root, 'bad.yaml'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /gateway\.port: got the value of \$\{ALICE_TOKEN\} \(a string, not shown\)/);
  assertNoSecret('a profile problem', bad.stdout + bad.stderr);
});
