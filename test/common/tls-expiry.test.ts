// The certificate validity judgement on fixed dates: expired and not yet valid are refused with the
// file and the deciding date, within 14 days is a warning, and the edges fall where documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CERT_EXPIRY_WARNING_MS, judgeCert } from '../../src/common/tls-expiry.js';

const DAY_MS = 86_400_000;
const notBeforeMs = Date.parse('2026-01-01T00:00:00Z');
const notAfterMs = Date.parse('2026-04-01T00:00:00Z');
const v = { notBeforeMs, notAfterMs };

test('an expired or not yet valid certificate is refused, naming the file and its notAfter', () => {
  const expired = judgeCert('/etc/tls/cert.pem', v, notAfterMs + 1);
  assert.deepEqual(expired, {
    kind: 'refused',
    message: 'the TLS certificate /etc/tls/cert.pem expired at 2026-04-01T00:00:00.000Z (notAfter): renew it',
  });
  const early = judgeCert('/etc/tls/cert.pem', v, notBeforeMs - 1);
  assert.equal(early.kind, 'refused');
  assert.match(
    (early as { message: string }).message,
    /not valid before 2026-01-01T00:00:00\.000Z \(notBefore; notAfter 2026-04-01T00:00:00\.000Z\)/,
  );
});

test('a certificate within 14 days of its notAfter is a warning; 14 days or more is valid', () => {
  assert.equal(CERT_EXPIRY_WARNING_MS, 14 * DAY_MS);
  const soon = judgeCert('c.pem', v, notAfterMs - 10 * DAY_MS);
  assert.deepEqual(soon, {
    kind: 'expires-soon',
    message:
      'the TLS certificate c.pem expires in 10.0 days, at 2026-04-01T00:00:00.000Z (notAfter): renew it and send SIGHUP to the gateway',
  });
  assert.equal(judgeCert('c.pem', v, notAfterMs - 14 * DAY_MS).kind, 'valid');
  assert.equal(judgeCert('c.pem', v, notAfterMs).kind, 'expires-soon', 'the last valid moment still serves');
  assert.equal(judgeCert('c.pem', v, notBeforeMs).kind, 'valid');
});
