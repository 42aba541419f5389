// `serve up` with fewer than replicas.min replicas ready (issue 21, item 2): a profile whose minimum of
// three 2-CPU replicas cannot fit a 2-CPU machine. `serve validate` notes it (exit 0); `serve up
// --detach` exits 3 naming what is pending, why and the ways out, and leaves what started for `serve
// down`; in the foreground it stops what started; --allow-degraded exits 0 with a warning. A replica
// whose device auto ended on the CPU is shown by `serve up` and `serve status`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from './cli-run.js';

const profile = `name: big
model: { name: cnn-lstm, version: 1, registry: ./models }
replicas: { min: 3, max: 3, initial: 3 }
resources: { cpus: 2 }
runtime: { device: auto }
gateway: { port: 0 }
autoscaling: { enabled: false }
local: { cpus: 2 }
`;

test('replicas.min that cannot fit: validate notes it, up exits 3 and says why, --allow-degraded goes on', async (t) => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-short-'));
  const pidFile = path.join(cwd, '.serve', 'serve.pid');
  t.after(async () => {
    if (existsSync(pidFile)) await serve(['down', '--timeout', '10s'], { cwd });
    rmSync(cwd, { recursive: true, force: true });
  });
  writeFileSync(path.join(cwd, 'big.yaml'), profile);

  const validate = await serve(['validate', 'big.yaml'], { cwd });
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(
    validate.stderr,
    /^serve: note: replicas\.min is 3 but this machine fits 1 \(does not fit: needs 2 CPUs, 0 free on local\): `serve up` here would exit 3/,
  );

  const up = await serve(['up', '--profile', 'big.yaml', '--detach'], { cwd, timeoutMs: 90_000 });
  assert.equal(up.code, 3, up.stderr);
  assert.match(up.stderr, /^serve: error: only 1 of 3 replicas ready \(replicas\.min of profile "big" is 3\)$/m);
  assert.match(up.stderr, /^ {2}replica-2 pending: does not fit: needs 2 CPUs, 0 free on local$/m);
  assert.match(up.stderr, /^ {2}ways out: --oversubscribe .*`hosts:` section.*smaller profile/m);
  assert.match(up.stderr, /what started keeps running: stop it with `serve down`/);
  assert.ok(existsSync(pidFile), 'what started is left running');
  // One `serve status` (each start of the CLI costs seconds on a busy machine): its table's rows are
  // replica, state, version, host, pid, port, device, ...
  const status = await serve(['status'], { cwd });
  assert.equal(status.code, 0, status.stderr);
  const ready = status.stdout
    .split('\n')
    .filter((l) => /^replica-\d+ /.test(l))
    .map((l) => l.trim().split(/\s+/))
    .filter((cells) => cells[1] === 'ready');
  assert.equal(ready.length, 1, status.stdout);
  // On a machine without a usable CUDA, device auto runs on the CPU, and both commands say why.
  if (ready[0]![6] === 'cpu') {
    assert.match(up.stdout, /device auto fell back to cpu on replica-1: /);
    assert.match(status.stdout, /device auto fell back to cpu on replica-1: /);
  }
  assert.equal((await serve(['down'], { cwd })).code, 0);

  // The foreground cannot leave anything running: it stops what started, then exits 3.
  const fg = await serve(['up', '--profile', 'big.yaml'], { cwd, timeoutMs: 90_000 });
  assert.equal(fg.code, 3, fg.stderr);
  assert.match(fg.stderr, /everything started was stopped; --allow-degraded keeps serving/);
  assert.equal(existsSync(pidFile), false);

  const degraded = await serve(['up', '--profile', 'big.yaml', '--detach', '--allow-degraded'], {
    cwd,
    timeoutMs: 90_000,
  });
  assert.equal(degraded.code, 0, degraded.stderr);
  assert.match(degraded.stderr, /^serve: warning: only 1 of 3 replicas ready/m);
  assert.equal((await serve(['down'], { cwd })).code, 0);
});
