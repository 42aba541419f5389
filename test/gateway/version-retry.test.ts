// A rollout's bad version never fails a request that the other version can serve: a replica's own
// 5xx while another model version has weight is retried once on a replica of that version, and is
// still counted against the version that made it (the rollout's judge sees it). With no other
// version serving, the 5xx reaches the client as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakesFor, gatewayFor, inferBody, inferPath, jsonHeaders, send } from './client.js';

function metric(text: string, name: string, label: string): number {
  const m = new RegExp(`^${name}\\{${label}\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test("a replica of the new version answering 500 during a rollout: every client gets the old version's answer, and the error counts for the new one", async (t) => {
  const [good, bad] = await fakesFor(t, { kind: 'oip', version: '1' }, { kind: 'status', status: 500 });
  const gw = await gatewayFor(t, { ejectAfterFailures: 1000 });
  gw.setReplicas(
    [
      { id: good!.id, url: good!.url, ready: true, version: '1' },
      { id: bad!.id, url: bad!.url, ready: true, version: '2' },
    ],
    [],
    { '1': 50, '2': 50 },
  );
  const statuses: number[] = [];
  for (let i = 0; i < 100; i++)
    statuses.push((await send(gw.url + inferPath, { body: inferBody(i), headers: jsonHeaders })).status);
  assert.deepEqual([...new Set(statuses)], [200], 'no client saw the 500');
  assert.ok(bad!.seen.length >= 25, `the new version took its share first (${bad!.seen.length} of 100)`);
  const text = await gw.metrics();
  assert.equal(
    metric(text, 'serve_gateway_version_errors_total', 'version="2"'),
    bad!.seen.length,
    'each 500 counts for version 2',
  );
  assert.equal(metric(text, 'serve_gateway_retries_total', 'reason="version"'), bad!.seen.length);
  assert.equal(metric(text, 'serve_gateway_version_errors_total', 'version="1"'), 0);
});

test("with no other version serving, a replica's 500 reaches the client (nothing to retry it on)", async (t) => {
  const [bad, other] = await fakesFor(t, { kind: 'status', status: 500 }, { kind: 'oip', version: '1' });
  const gw = await gatewayFor(t, { ejectAfterFailures: 1000 });
  // Version 1 has no weight: it is leaving, so version 2's errors are the answer.
  gw.setReplicas(
    [
      { id: bad!.id, url: bad!.url, ready: true, version: '2' },
      { id: other!.id, url: other!.url, ready: true, version: '1' },
    ],
    [],
    { '2': 100 },
  );
  const r = await send(gw.url + inferPath, { body: inferBody(1), headers: jsonHeaders });
  assert.equal(r.status, 500);
  assert.equal(other!.seen.length, 0);
});
