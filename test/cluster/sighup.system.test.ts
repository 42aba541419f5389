// SIGHUP to every long-lived process of a real cluster (`serve up` with real replicas and a plain
// HTTP gateway): none dies of it, each logs that it has nothing to reload, and requests through
// the gateway keep succeeding meanwhile. The controller passes SIGHUP on to a gateway with TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { controllerHup } from '../../src/cli/up/up.js';
import { isAlive } from '../../src/common/process.js';
import { startServeUp } from '../helpers/serve-up.js';
import { waitFor } from './helpers.js';
import { startLoad } from './load.js';

test('SIGHUP to the controller, the gateway and each replica: none dies, requests keep succeeding', async (t) => {
  const cluster = await startServeUp(t, { name: 'huptest', replicas: 2 });
  const s = cluster.status;
  const processes = [
    ...s.replicas.map((r) => ({ name: r.id, pid: r.pid!, log: `${r.id}.log` })),
    { name: 'gateway', pid: s.gateway.pid!, log: 'gateway.log' },
    { name: 'controller', pid: cluster.child.pid!, log: undefined },
  ];
  const load = startLoad(`${s.gatewayUrl}/v2/models/cnn-lstm/infer`, {
    workers: 2,
    maxMs: 20_000,
    maxRequests: 20_000,
  });
  await load.moreOk(20);
  for (const p of processes) {
    process.kill(p.pid, 'SIGHUP');
    await load.moreOk(20);
  }
  const result = await load.stop();
  assert.deepEqual(
    result.failures,
    [],
    `${result.failures.length} of ${result.ok + result.failures.length} requests failed`,
  );
  for (const p of processes) assert.ok(isAlive(p.pid), `${p.name} (pid ${p.pid}) survived SIGHUP`);
  assert.equal(cluster.child.exitCode, null, 'serve up still runs');

  // Each says what it did with the signal: nothing to reload without TLS.
  const logs = path.join(cluster.stateDir, 'logs');
  for (const p of processes.filter((x) => x.log)) {
    await waitFor(
      `${p.name} to log the SIGHUP`,
      () => readFileSync(path.join(logs, p.log!), 'utf8').includes('SIGHUP: nothing to reload'),
      5000,
    );
  }
  await waitFor(
    'the controller to log the SIGHUP',
    () => /SIGHUP: nothing to reload \(no TLS certificate/.test(cluster.stderr()),
    5000,
  );
});

test('the controller passes SIGHUP to a gateway with TLS (it reloads its certificate); without TLS it only says so', async (t) => {
  // A stand-in gateway process that reports each SIGHUP it gets.
  const gw = spawn(
    process.execPath,
    ['-e', "process.on('SIGHUP', () => console.log('hup')); console.log('ready'); setInterval(() => {}, 1000)"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => gw.kill('SIGKILL'));
  let out = '';
  gw.stdout.on('data', (d: Buffer) => (out += d));
  await waitFor('the stand-in to start', () => out.includes('ready'), 10_000);
  const tls = { gateway: { tls: { certPath: '/x/cert.pem', keyPath: '/x/key.pem' } } } as Parameters<
    typeof controllerHup
  >[0];
  const plain = { gateway: {} } as Parameters<typeof controllerHup>[0];
  assert.deepEqual(controllerHup(plain, gw.pid), {
    level: 'info',
    kind: 'controller',
    message: 'SIGHUP: nothing to reload (no TLS certificate; a changed profile needs `serve down` and `serve up`)',
  });
  assert.equal(controllerHup(tls, undefined).message, 'SIGHUP: nothing to reload (the cluster is still starting)');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(out.includes('hup'), false, 'nothing passed on without TLS');
  assert.equal(
    controllerHup(tls, gw.pid).message,
    `SIGHUP: passed to the gateway (pid ${gw.pid}) to reload its TLS certificate`,
  );
  await waitFor('the gateway to get SIGHUP', () => out.includes('hup'), 5000);
});
