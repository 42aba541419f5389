// The controller's /metrics server: loopback only, GET /metrics and nothing else, and a port in use
// is one error naming the profile field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startMetricsServer } from '../../src/cluster/monitoring/metrics-server.js';

test('serves GET /metrics on loopback, answers anything else with a JSON error', async (t) => {
  const server = await startMetricsServer(0, async () => 'serve_controller_replicas_desired 2\n');
  t.after(() => server.close());
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const ok = await fetch(server.url);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'serve_controller_replicas_desired 2\n');
  const other = await fetch(server.url.replace('/metrics', '/status'));
  assert.equal(other.status, 404);
  assert.match(((await other.json()) as { error: string }).error, /serves only GET \/metrics/);
  assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
});

test('a metrics port in use is a user error naming controller.metrics_port', async (t) => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => busy.close());
  const port = (busy.address() as net.AddressInfo).port;
  await assert.rejects(
    startMetricsServer(port, async () => ''),
    (err: Error) =>
      err.name === 'UserError' &&
      err.message ===
        `controller.metrics_port ${port}: 127.0.0.1:${port} is in use; pick another port in the profile (0 picks a free one)`,
  );
});
