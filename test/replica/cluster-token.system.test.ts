// A replica started the way the controller starts one on an SSH host: its settings on stdin carry
// the cluster token (model metadata and inference without it get 401 {"error"}; /metrics and health
// answer anyone, so Prometheus can scrape the replica) and a heartbeat
// deadline (it drains and exits 0 once the heartbeat lines stop). The token is never a flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cliEntry } from '../helpers/paths.js';
import { demoRegistry } from './helpers.js';

const TOKEN = 'k3Y-of-this-cluster';

test('the cluster token guards the model endpoints, not /metrics or health; missed heartbeats drain the replica and it exits 0', async (t) => {
  const registry = await demoRegistry(t);
  const proc = spawn(
    process.execPath,
    [cliEntry, 'replica', '--replica-id', 'r1', '--settings-stdin', '--exit-with-parent'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const events: Array<Record<string, unknown>> = [];
  const logs: string[] = [];
  createInterface({ input: proc.stdout }).on('line', (l) => events.push(JSON.parse(l) as Record<string, unknown>));
  createInterface({ input: proc.stderr }).on('line', (l) => logs.push(l));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const settings = { model: 'cnn-lstm@1', registry, port: 0, authToken: TOKEN, heartbeatTimeoutMs: 800 };
  proc.stdin.write(JSON.stringify({ type: 'settings', settings }) + '\n');
  let lastBeatAt = Date.now();
  const beat = setInterval(() => {
    proc.stdin.write('{"type":"heartbeat"}\n');
    lastBeatAt = Date.now();
  }, 200);
  t.after(() => clearInterval(beat));

  const end = Date.now() + 20_000;
  while (!events.some((e) => e.event === 'ready') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const url = events.find((e) => e.event === 'listening')!.url as string;
  for (const p of ['/v2/health/ready', '/v2/health/live', '/metrics']) {
    const open = await fetch(url + p);
    assert.equal(open.status, 200, `${p} without the token: it carries no model data`);
    await open.body?.cancel();
  }
  for (const p of ['/v2', '/v2/models/cnn-lstm', '/v2/models/cnn-lstm/ready']) {
    const none = await fetch(url + p);
    assert.equal(none.status, 401, `${p} without the token`);
    assert.match(((await none.json()) as { error: string }).error, /x-serve-cluster-token/);
    const wrong = await fetch(url + p, { headers: { 'x-serve-cluster-token': `${TOKEN}x` } });
    assert.equal(wrong.status, 401, `${p} with a wrong token`);
    await wrong.body?.cancel();
    const right = await fetch(url + p, { headers: { 'x-serve-cluster-token': TOKEN } });
    assert.equal(right.status, 200, `${p} with the token`);
    await right.body?.cancel();
  }
  const refused = await fetch(`${url}/v2/models/cnn-lstm/infer`, { method: 'POST', body: '{"inputs":[]}' });
  assert.equal(refused.status, 401);
  await refused.body?.cancel();

  // Heartbeats keep it up well past the deadline; once they stop it drains and exits by itself.
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(proc.exitCode, null, 'alive while heartbeats come');
  clearInterval(beat);
  assert.equal(await exited, 0);
  // Measured from the last heartbeat written (up to one 200 ms interval before clearInterval).
  const tookMs = Date.now() - lastBeatAt;
  assert.ok(tookMs >= 700 && tookMs < 3000, `exited ${tookMs} ms after the last heartbeat`);
  assert.ok(
    logs.some((l) => l.includes('no line on stdin for 800ms')),
    logs.join('\n'),
  );
  assert.ok(!logs.some((l) => l.includes(TOKEN)), 'the token is never logged');
});

test('the cluster token has no flag: it only ever arrives on stdin', () => {
  const r = spawnSync(process.execPath, [cliEntry, 'replica', '--model', 'x', '--auth-token', TOKEN], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option '--auth-token'/);
});
