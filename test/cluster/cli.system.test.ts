// The cluster commands as a user runs them (`serve up/status/logs/scale/down` as child processes),
// with real replicas and gateway: exit codes, the state dir, --detach, and kill -9 of the controller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../../src/common/process.js';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import { laps } from '../helpers/laps.js';
import { cliEntry } from '../helpers/paths.js';
import { addDemoModel, fakeCli, killAll, tempWorld, testProfile, waitFor } from './helpers.js';
import { startCluster, type ClusterHandle } from '../../src/cluster/controller/controller.js';
import type { ClusterEvent } from '../../src/cluster/events.js';
import { statePaths } from '../../src/cluster/state/state-dir.js';
import type { ControllerDeath } from '../../src/common/controller-death.js';
import { renderStatus } from '../../src/cli/status/render.js';

function serve(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [cliEntry, ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

function profileYaml(registry: string): string {
  return `name: clitest
model: { name: cnn-lstm, version: latest, registry: ${registry} }
replicas: { min: 1, max: 3, initial: 2 }
autoscaling: { enabled: false, target_ongoing_requests: 3, upscale_delay: 15s, downscale_delay: 120s }
resources: { cpus: 0.5, gpus: 0, memory: 1GiB }
batching: { max_batch_size: 8, batch_wait_timeout: 2ms, max_queued_requests: 64 }
runtime: { device: cpu, threads: 1 }
health: { period: 300ms, timeout: 250ms, failure_threshold: 3, startup_timeout: 30s }
gateway: { host: 127.0.0.1, port: 0, request_timeout: 2s }
drain_timeout: 5s
local: { cpus: 2, memory: 4GiB }
`;
}

/** A temp world with the demo model and a profile file; returns the profile path. */
function cliWorld() {
  const w = tempWorld();
  addDemoModel(w.registry);
  const profile = path.join(w.root, 'p.yaml');
  writeFileSync(profile, profileYaml(w.registry));
  return { ...w, profile };
}

test('status, scale and logs with nothing running say so in one line and exit 3; down says nothing to stop and exits 0', (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  for (const args of [['status'], ['status', '--json'], ['scale', '2'], ['logs']]) {
    const r = serve([...args, '--state-dir', w.stateDir], w.root);
    assert.equal(r.code, 3, `serve ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^serve: error: no (cluster is running|logs) in /);
  }
  // Stopping what does not run is done already (issue 21): an always-run CI teardown step passes.
  const down = serve(['down', '--state-dir', w.stateDir], w.root);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /^nothing to stop: no cluster is running in /);
});

test('a broken profile starts nothing and leaves no state behind', (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  const bad = path.join(w.root, 'bad.yaml');
  writeFileSync(bad, profileYaml(w.registry).replace('replicas:', 'replicaz:'));
  const r = serve(['up', '--profile', bad, '--state-dir', w.stateDir], w.root);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /bad\.yaml/);
  assert.equal(existsSync(w.stateDir), false);
  const d = serve(['up', '--detach', '--profile', bad, '--state-dir', w.stateDir], w.root);
  assert.equal(d.code, 2, d.stderr);
  assert.equal(existsSync(w.stateDir), false);
});

test('up --detach, a refused second up, status (with a shadow server), logs, scale bounds, down', async (t) => {
  const lap = laps(t);
  const w = cliWorld();
  // A shadow server nobody listens at: status lists it with the gateway's count of copies (none yet).
  writeFileSync(
    w.profile,
    profileYaml(w.registry).replace(
      'request_timeout: 2s }',
      'request_timeout: 2s, shadow: { url: "http://127.0.0.1:9", share: 10% } }',
    ),
  );
  const pids: number[] = [];
  t.after(() => {
    killAll(pids);
    w.cleanup();
  });
  // A pid file left by a dead controller is cleaned up, not mistaken for a running one.
  mkdirSync(w.stateDir, { recursive: true });
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => dead.once('exit', r));
  writeFileSync(path.join(w.stateDir, 'serve.pid'), `${dead.pid}\n`);

  const up = serve(['up', '--detach', '--json', '--profile', w.profile, '--state-dir', w.stateDir], w.root);
  assert.equal(up.code, 0, up.stderr);
  const s = JSON.parse(up.stdout) as ClusterStatus;
  pids.push(s.controllerPid, s.gateway.pid!, ...s.replicas.map((r) => r.pid!));
  if (s.gateway.holderPid) pids.push(s.gateway.holderPid);
  assert.equal(s.phase, 'running');
  assert.deepEqual(
    s.replicas.map((r) => r.state),
    ['ready', 'ready'],
  );

  lap('up --detach');
  // What reads the running cluster (and a refused second up) runs at once: each is its own CLI process.
  const [again, st, logs, one, logsNope, tooMany, scaleMany] = await Promise.all([
    serveAsync(['up', '--profile', w.profile, '--state-dir', w.stateDir], w.root),
    serveAsync(['status', '--state-dir', w.stateDir], w.root),
    serveAsync(['logs', '-n', '200', '--state-dir', w.stateDir], w.root),
    serveAsync(['logs', '2', '--state-dir', w.stateDir], w.root),
    serveAsync(['logs', 'nope', '--state-dir', w.stateDir], w.root),
    serveAsync(['scale', '9', '--state-dir', w.stateDir], w.root),
    serveAsync(['scale', 'many', '--state-dir', w.stateDir], w.root),
  ]);
  lap('a second up, status, logs and bad scales at once');
  assert.equal(again.code, 2);
  assert.match(again.stderr, /a cluster is already running in .* \(pid \d+\)/);

  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /replica-2 .*ready/);
  assert.match(st.stdout, new RegExp(`Gateway ${s.gatewayUrl}`));
  assert.match(
    st.stdout,
    /^Other servers:\n  shadow http:\/\/127\.0\.0\.1:9\/?: a copy of 10% of infer requests · 0 copies \(0 agreed, 0 disagreed, 0 errors, 0 dropped\)$/m,
  );

  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /^controller +\| /m);
  assert.match(logs.stdout, /^replica-1 +\| /m);
  assert.match(logs.stdout, /^gateway +\| /m);
  assert.ok(
    one.stdout
      .trim()
      .split('\n')
      .every((l) => l.startsWith('replica-2 ')),
    one.stdout,
  );
  assert.equal(logsNope.code, 2);

  assert.equal(tooMany.code, 2);
  assert.match(tooMany.stderr, /outside the profile's range 1\.\.3/);
  const pinned = serve(['scale', '3', '--state-dir', w.stateDir], w.root);
  assert.equal(pinned.code, 0);
  assert.match(pinned.stdout, /pinned until `serve scale auto`/);
  const auto = serve(['scale', 'auto', '--state-dir', w.stateDir], w.root);
  assert.equal(auto.code, 0, auto.stderr);
  assert.match(auto.stdout, /^autoscaling resumed from 3 replicas/);
  assert.equal(scaleMany.code, 2);
  lap('scale 3, scale auto');

  const down = serve(['down', '--state-dir', w.stateDir], w.root);
  assert.equal(down.code, 0, down.stderr);
  await waitFor('every process gone', () => pids.every((p) => !isAlive(p)), 10_000);
  assert.equal(serve(['status', '--state-dir', w.stateDir], w.root).code, 3);
  lap('down');
});

/** Runs the CLI without blocking the event loop (an in-process cluster must answer it). */
function serveAsync(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliEntry, ...args],
      { cwd, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

// The children's fate is reported as it is (running or exited), never assumed: this holds whether
// they exit with their parent (today) or outlive it to be adopted again.
test('kill -9 of the controller mid-rollout: status says it died, its children and rollout, and removes what misleads; the next up adopts the children of the version in force and rolls the rollout back', async (t) => {
  const w = cliWorld();
  const pids: number[] = [];
  const controller = spawn(
    process.execPath,
    [cliEntry, 'up', '--json', '--profile', w.profile, '--state-dir', w.stateDir],
    {
      cwd: w.root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let rollout: ChildProcess | undefined;
  let next: ClusterHandle | undefined;
  t.after(async () => {
    await next?.stop();
    killAll([controller.pid!, rollout?.pid ?? 0, ...pids].filter((p) => p > 0));
    w.cleanup();
  });
  let text = '';
  let errText = '';
  controller.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  controller.stderr!.on('data', (c: Buffer) => (errText += c.toString('utf8')));
  const controllerExited = new Promise((r) => controller.once('exit', r));
  const status = await waitFor(
    'the controller to print its status',
    () => {
      if (controller.exitCode !== null) throw new Error(`serve up exited with ${controller.exitCode}: ${errText}`);
      try {
        return JSON.parse(text) as ClusterStatus;
      } catch {
        return undefined;
      }
    },
    60_000,
    50,
  );
  // The journal names the gateway's socket holder (the process the controller started), not its serving child.
  const holder = status.gateway.holderPid!;
  const serving = status.gateway.pid!;
  pids.push(holder, ...status.replicas.map((r) => r.pid!));
  assert.equal(pids.length, 3);
  assert.equal(status.model.version, 1);
  // Version 2 (the same model) appears once the cluster runs version 1; a long first step to die in.
  const versions = path.join(w.registry, 'cnn-lstm');
  cpSync(path.join(versions, '1'), path.join(versions, '2'), { recursive: true });
  rollout = spawn(
    process.execPath,
    [cliEntry, 'rollout', 'cnn-lstm@2', '--steps', '50%,100%', '--step-time', '60s', '--state-dir', w.stateDir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let rolloutErr = '';
  rollout.stderr!.on('data', (c: Buffer) => (rolloutErr += c.toString('utf8')));
  await waitFor('step 1 of the rollout', () => /step 1\/2: 50% of traffic to version 2/.test(rolloutErr), 60_000, 50);
  const paths = statePaths(w.stateDir);
  const journal = JSON.parse(readFileSync(paths.journalFile, 'utf8')) as { children: Array<{ pid: number }> };
  pids.push(...journal.children.map((c) => c.pid).filter((p) => !pids.includes(p)));
  assert.equal(pids.length, 5, "the gateway's holder, two replicas of each version");
  const v1 = status.replicas.map((r) => r.pid!);
  const v2 = pids.slice(3);

  process.kill(controller.pid!, 'SIGKILL');
  await controllerExited;
  const r = serve(['status', '--json', '--state-dir', w.stateDir], w.root);
  assert.equal(r.code, 3, r.stderr);
  const d = (JSON.parse(r.stdout) as { running: boolean; controllerDied: ControllerDeath }).controllerDied;
  assert.equal(d.pid, controller.pid);
  assert.equal(d.profile, 'clitest');
  const sinceAliveMs = Date.now() - Date.parse(d.lastAliveAt);
  assert.ok(sinceAliveMs >= 0 && sinceAliveMs < 15_000, `last known alive ${d.lastAliveAt}`);
  assert.deepEqual(d.children.map((c) => c.pid).sort(), [...pids].sort());
  for (const c of d.children) {
    assert.ok(c.state === 'running' || c.state === 'exited', JSON.stringify(c));
    if (c.state === 'exited') assert.equal(isAlive(c.pid), false, `${c.id} said exited but lives`);
  }
  assert.deepEqual(d.rollout, {
    model: 'cnn-lstm',
    fromVersion: 1,
    toVersion: 2,
    phase: 'stepping',
    step: 1,
    steps: 2,
    percent: 50,
  });
  // What would mislead is gone: the pid file, the socket, state.json; Prometheus' targets stay while
  // the children serve.
  assert.deepEqual([...d.removed].sort(), ['admin.sock', 'serve.pid', 'state.json']);
  for (const f of [paths.pidFile, paths.adminSocket, paths.stateFile]) assert.equal(existsSync(f), false, f);
  assert.equal(existsSync(paths.sdFile), true, 'the targets of the children that serve on');

  // The children outlive their controller (issue 26): every one still runs, and serves.
  for (const p of [...pids, serving]) assert.ok(isAlive(p), `pid ${p} outlives the controller`);
  // Told again, in words, with each child asked directly; nothing left to remove.
  const again = serve(['status', '--state-dir', w.stateDir], w.root);
  assert.equal(again.code, 3, again.stderr);
  assert.match(
    again.stdout,
    new RegExp(
      `^The controller of .* is down since .* UTC: the controller \\(pid ${controller.pid}, profile clitest\\) died without stopping; last known alive \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC`,
    ),
  );
  assert.match(again.stdout, /The data plane is serving without it/);
  for (const c of d.children) assert.match(again.stdout, new RegExp(`  ${c.id} pid ${c.pid}( at \\S+)?: `));
  assert.match(
    again.stdout,
    /it was rolling cnn-lstm out from version 1 to 2 \(stepping\): step 1 of 2, 50% of traffic on version 2/,
  );
  assert.match(again.stdout, /the rollout is rolled back/);
  assert.doesNotMatch(again.stdout, /removed what it left/);

  // The next up (in this process, with fake replicas: quick) reports the interrupted rollout.
  const events: ClusterEvent[] = [];
  next = await startCluster(
    testProfile(w.registry, {
      name: 'clitest',
      model: { name: 'cnn-lstm', version: 1, registry: w.registry },
      replicas: { min: 1, max: 1, initial: 1 },
    }),
    {
      stateDir: w.stateDir,
      cliEntry: fakeCli,
      onEvent: (e) => events.push(e),
    },
  );
  // It adopts the gateway and the replicas of the version in force, and rolls the rollout back: the
  // new version's replicas are killed (replaced by none here: the profile's max is 1).
  const adopted = events.find((e) => e.kind === 'adoption');
  assert.match(
    adopted?.message ?? '',
    new RegExp(`as they run: gateway \\(pid ${holder}\\), replica-1 \\(pid ${v1[0]}\\)`),
  );
  for (const p of v2) {
    assert.match(adopted!.message, new RegExp(`\\(pid ${p}\\): it runs model version 2, version 1 is in force`));
    assert.equal(isAlive(p), false, `version 2 replica ${p} was killed`);
  }
  assert.equal(next.status().gateway.holderPid, holder);
  assert.equal(next.status().gateway.adopted, true);
  const said = events.find((e) => e.kind === 'previous-controller');
  assert.equal(said?.level, 'warn');
  assert.match(
    said!.message,
    new RegExp(
      `^the controller \\(pid ${controller.pid}, profile clitest\\) died without stopping; .*; it was rolling cnn-lstm out from version 1 to 2 \\(stepping\\): step 1 of 2, 50% of traffic on version 2\\. This cluster serves version 1: roll out again with \`serve rollout cnn-lstm@2\`$`,
    ),
  );
  assert.match(
    renderStatus(next.status()),
    /warning: it was rolling cnn-lstm out from version 1 to 2 \(stepping\): step 1 of 2/,
  );
  const rs = await serveAsync(['rollout', 'status', '--state-dir', w.stateDir], w.root);
  assert.equal(rs.code, 0, rs.stderr);
  assert.match(
    rs.stdout,
    /^no rollout has run on this cluster; before it, a controller died while rolling cnn-lstm out from version 1 to 2/,
  );
  // A clean stop leaves nothing to report, and no process.
  await next.stop();
  assert.equal(existsSync(paths.journalFile), false);
  for (const p of [...pids, serving]) assert.equal(isAlive(p), false, `pid ${p} stopped`);
});

test('Ctrl-C (SIGINT) on a foreground serve up drains, stops everything, cleans the state dir and exits 0', async (t) => {
  const w = cliWorld();
  const pids: number[] = [];
  const controller = spawn(
    process.execPath,
    [cliEntry, 'up', '--json', '--profile', w.profile, '--state-dir', w.stateDir],
    {
      cwd: w.root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => {
    killAll([controller.pid!, ...pids]);
    w.cleanup();
  });
  let text = '';
  controller.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const exited = new Promise<number | null>((r) => controller.once('exit', (code) => r(code)));
  const status = await waitFor(
    'the controller to print its status',
    () => {
      if (controller.exitCode !== null) throw new Error(`serve up exited with ${controller.exitCode}`);
      try {
        return JSON.parse(text) as ClusterStatus;
      } catch {
        return undefined;
      }
    },
    60_000,
    50,
  );
  pids.push(status.gateway.pid!, status.gateway.holderPid!, ...status.replicas.map((r) => r.pid!));
  controller.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.ok(
    pids.every((p) => !isAlive(p)),
    'gateway and replicas stopped before serve up exited',
  );
  assert.equal(existsSync(path.join(w.stateDir, 'serve.pid')), false);
  assert.equal(existsSync(path.join(w.stateDir, 'admin.sock')), false);
  assert.ok(existsSync(path.join(w.stateDir, 'logs', 'controller.log')), 'logs stay');
});

test('a failed up --detach reports the error of this run, not an older one left in up.log', (t) => {
  const w = cliWorld();
  t.after(() => {
    // Should the start wrongly succeed, the background cluster must not outlive the test.
    if (existsSync(path.join(w.stateDir, 'serve.pid'))) serve(['down', '--state-dir', w.stateDir], w.root);
    w.cleanup();
  });
  const logs = path.join(w.stateDir, 'logs');
  mkdirSync(logs, { recursive: true });
  writeFileSync(path.join(logs, 'up.log'), 'serve: error: a stale failure from an earlier run\n  with a detail\n');
  const missing = path.join(w.root, 'missing.yaml');
  writeFileSync(missing, profileYaml(w.registry).replace('version: latest', 'version: 9'));
  const r = serve(['up', '--detach', '--profile', missing, '--state-dir', w.stateDir], w.root);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^serve: error: model "cnn-lstm" has no version 9 in .* \(versions: 1\)/);
  assert.doesNotMatch(r.stderr, /earlier run|with a detail/);
  assert.equal(existsSync(path.join(w.stateDir, 'serve.pid')), false);
});

test("serve up with a corrupt model.onnx exits 2 within 15 s with the replica's own error, and leaves nothing", async (t) => {
  const w = cliWorld();
  t.after(() => w.cleanup());
  writeFileSync(path.join(w.registry, 'cnn-lstm', '1', 'model.onnx'), 'this is not an ONNX file');
  const started = Date.now();
  const r = serve(['up', '--profile', w.profile, '--state-dir', w.stateDir], w.root);
  const tookMs = Date.now() - started;
  assert.equal(r.code, 2, r.stderr);
  assert.ok(tookMs < 15_000, `took ${tookMs} ms`);
  assert.match(
    r.stderr,
    /^serve: error: no replica became ready: replica-1: failed \(crash loop: .*could not be loaded/m,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(existsSync(path.join(w.stateDir, 'serve.pid')), false);
});

test("settings reach replicas on stdin: an expanded ${VAR} never appears in a command line; children's environments hold no secret of serve up's, and the profile's env:", async (t) => {
  const w = cliWorld();
  const secretDir = path.join(w.root, 'models-sk-live-4242');
  execFileSync('cp', ['-r', w.registry, secretDir]);
  writeFileSync(w.profile, profileYaml('"${SECRET_MODELS}"') + 'env: { SERVE_TEST_PASSED: "yes" }\n');
  const secrets = {
    SECRET_MODELS: secretDir,
    AWS_SECRET_ACCESS_KEY: 'aws-sk-live-4242',
    SERVE_TEST_SECRET_XYZ: 'xyz-sk-live-4242',
  };
  const child = spawn(process.execPath, [cliEntry, 'up', '--profile', w.profile, '--state-dir', w.stateDir], {
    cwd: w.root,
    env: { ...process.env, ...secrets },
    stdio: 'ignore',
  });
  t.after(() => {
    killAll([child.pid!]);
    w.cleanup();
  });
  const status = await waitFor(
    'cluster up',
    () => {
      const r = serve(['status', '--json', '--state-dir', w.stateDir], w.root);
      const s = r.code === 0 ? (JSON.parse(r.stdout) as ClusterStatus) : undefined;
      return s?.phase === 'running' ? s : undefined;
    },
    30_000,
  );
  const pids = [...status.replicas.map((r) => r.pid!), status.gateway.pid!, status.controllerPid];
  const cmdlines = execFileSync('ps', ['-o', 'args=', '-p', pids.join(',')], { encoding: 'utf8' });
  assert.ok(cmdlines.includes('replica --replica-id replica-1 --settings-stdin'), cmdlines);
  assert.ok(!cmdlines.includes('sk-live-4242'), `a setting from the environment is visible in ps:\n${cmdlines}`);
  // /proc/<pid>/environ of the gateway and each replica: the profile's env:, no secret of serve up's.
  for (const pid of [...status.replicas.map((r) => r.pid!), status.gateway.pid!]) {
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('SERVE_TEST_PASSED=yes'), `pid ${pid} lacks the profile's env:`);
    for (const name of Object.keys(secrets))
      assert.ok(!environ.some((v) => v.startsWith(`${name}=`)), `pid ${pid} was started with ${name}`);
    assert.ok(!environ.some((v) => v.includes('sk-live-4242')), `pid ${pid}'s environment shows a secret`);
  }
  // The controller itself keeps its whole environment (it expanded ${SECRET_MODELS}).
  assert.ok(readFileSync(`/proc/${status.controllerPid}/environ`, 'utf8').includes('SERVE_TEST_SECRET_XYZ='));
  assert.equal(serve(['down', '--state-dir', w.stateDir], w.root).code, 0);
});
