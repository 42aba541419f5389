// The service discovery file's target groups (control plane, pure part): one group per target with
// the profile, component and replica labels; wildcard listen addresses scraped on loopback; https.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scrapeAddress, targetGroups } from '../../src/cluster/monitoring/prometheus-sd.js';

test('controller, gateway and each replica become one labelled target group each', () => {
  const groups = targetGroups({
    profile: 'local',
    controllerUrl: 'http://127.0.0.1:9464/metrics',
    gatewayUrl: 'http://127.0.0.1:8000',
    replicas: [
      { id: 'replica-1', url: 'http://127.0.0.1:41001', ready: true },
      { id: 'replica-2', url: 'http://127.0.0.1:41002', ready: false },
    ],
  });
  assert.deepEqual(groups, [
    { targets: ['127.0.0.1:9464'], labels: { profile: 'local', component: 'controller' } },
    { targets: ['127.0.0.1:8000'], labels: { profile: 'local', component: 'gateway' } },
    { targets: ['127.0.0.1:41001'], labels: { profile: 'local', component: 'replica', replica: 'replica-1' } },
    { targets: ['127.0.0.1:41002'], labels: { profile: 'local', component: 'replica', replica: 'replica-2' } },
  ]);
});

test('a gateway with TLS is scraped over https; a wildcard address on loopback', () => {
  const [gw] = targetGroups({ profile: 'p', gatewayUrl: 'https://0.0.0.0:8443', replicas: [] });
  assert.deepEqual(gw, {
    targets: ['127.0.0.1:8443'],
    labels: { profile: 'p', component: 'gateway', __scheme__: 'https' },
  });
  assert.equal(scrapeAddress('http://[::]:8000'), '[::1]:8000');
  assert.equal(scrapeAddress('http://gw.example:80'), 'gw.example:80');
});
