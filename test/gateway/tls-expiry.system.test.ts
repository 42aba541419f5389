// Certificate dates with certificates made by the real `openssl` (a CA whose `openssl ca` sets exact
// start and end dates): `serve validate` and `serve up` refuse an expired or not yet valid one
// (exit 2, the file and its notAfter) and warn about one expiring within 14 days; a running gateway
// keeps its certificate when the reloaded file has expired, says it refused it, and exports the
// expiry of the certificate in use as serve_gateway_tls_cert_expiry_timestamp_seconds.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { checkTlsCertificates } from '../../src/profile/tls-check.js';
import type { Profile } from '../../src/profile/types.js';
import { cliEntry } from '../helpers/paths.js';
import { needTool } from '../helpers/tools.js';
import { waitFor } from '../cluster/helpers.js';

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA in `dir` that `openssl ca` can sign with, and one key and request for 127.0.0.1. */
function makeCa(dir: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=serve test CA',
  ]);
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'key.pem',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  mkdirSync(path.join(dir, 'db'));
  writeFileSync(path.join(dir, 'db', 'index.txt'), '');
  writeFileSync(path.join(dir, 'db', 'serial'), '01\n');
  writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      'database = db/index.txt',
      'new_certs_dir = db',
      'serial = db/serial',
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'copy_extensions = copy',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
}

/** Signs the request for the given dates (openssl's YYYYMMDDHHMMSSZ) into `out`; returns its notAfter. */
function sign(dir: string, out: string, start: Date, end: Date): Date {
  const at = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  openssl(dir, [
    'ca',
    '-batch',
    '-notext',
    '-config',
    'ca.cnf',
    '-cert',
    'ca.pem',
    '-keyfile',
    'ca.key',
    '-in',
    'leaf.csr',
    '-out',
    out,
    '-startdate',
    at(start),
    '-enddate',
    at(end),
  ]);
  return new Date(new X509Certificate(readFileSync(path.join(dir, out))).validTo);
}

const DAY_MS = 86_400_000;
const inDays = (n: number) => new Date(Math.floor(Date.now() / 1000) * 1000 + n * DAY_MS);

function certWorld(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-tls-expiry-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  makeCa(dir);
  return dir;
}

function serve(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cliEntry, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SERVE_PORT: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('serve validate and serve up refuse an expired or not yet valid certificate (exit 2, file and notAfter) and warn within 14 days', (t) => {
  if (!needTool(t, 'openssl', 'openssl', ['version'])) return;
  const dir = certWorld(t);
  const expiredAt = sign(dir, 'expired.pem', inDays(-30), inDays(-1));
  sign(dir, 'future.pem', inDays(10), inDays(100));
  const soonAt = sign(dir, 'soon.pem', inDays(-1), inDays(5));
  sign(dir, 'good.pem', inDays(-1), inDays(90));
  const profile = (cert: string) => {
    const file = path.join(dir, `p-${cert}.yaml`);
    writeFileSync(
      file,
      `name: tlsp\nmodel: { name: cnn-lstm, registry: ./models }\ngateway: { port: 0, tls: { cert: ${cert}, key: key.pem } }\n`,
    );
    return file;
  };
  const certFile = (name: string) => path.join(dir, name);

  const expired = serve(['validate', profile('expired.pem')], dir);
  assert.equal(expired.code, 2, expired.stderr);
  assert.equal(
    expired.stderr.trim(),
    `serve: error: gateway.tls.cert: the TLS certificate ${certFile('expired.pem')} expired at ${expiredAt.toISOString()} (notAfter): renew it`,
  );
  const up = serve(['up', '--profile', profile('expired.pem'), '--state-dir', path.join(dir, 'state')], dir);
  assert.equal(up.code, 2, up.stderr);
  assert.match(
    up.stderr,
    new RegExp(`expired\\.pem expired at ${expiredAt.toISOString().replace(/\./g, '\\.')} \\(notAfter\\)`),
  );

  const soon = serve(['validate', profile('soon.pem')], dir);
  assert.equal(soon.code, 0, soon.stderr);
  assert.match(
    soon.stderr,
    new RegExp(
      `^serve: warning: gateway\\.tls\\.cert: the TLS certificate ${certFile('soon.pem').replace(/\./g, '\\.')} expires in 5\\.0 days, at ${soonAt.toISOString().replace(/\./g, '\\.')}`,
      'm',
    ),
  );

  // The same check in process (each CLI run costs a second): not yet valid is refused, 90 days is fine.
  const tls = (cert: string) =>
    ({ gateway: { tls: { certPath: certFile(cert), keyPath: certFile('key.pem') } } }) as unknown as Profile;
  const future = checkTlsCertificates([tls('future.pem')], Date.now());
  assert.equal(future.refused.length, 1);
  assert.match(future.refused[0]!, /future\.pem is not valid before \S+ \(notBefore; notAfter \S+\)/);
  assert.deepEqual(checkTlsCertificates([tls('good.pem'), tls('good.pem')], Date.now()), { refused: [], warnings: [] });
});

/** GET over https (any certificate); the status, the body and the presented certificate's fingerprint. */
function get(url: string): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent: new https.Agent({ rejectUnauthorized: false }) }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, fingerprint }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}

const expiryGauge = (text: string) =>
  Number(/^serve_gateway_tls_cert_expiry_timestamp_seconds (\S+)$/m.exec(text)?.[1]);

test('a gateway exports its certificate expiry, refuses an expired file on SIGHUP keeping the old one, and warns about one expiring soon', async (t) => {
  if (!needTool(t, 'openssl', 'openssl', ['version'])) return;
  const dir = certWorld(t);
  const firstAt = sign(dir, 'first.pem', inDays(-1), inDays(90));
  sign(dir, 'expired.pem', inDays(-30), inDays(-1));
  const soonAt = sign(dir, 'soon.pem', inDays(-1), inDays(3));
  copyFileSync(path.join(dir, 'first.pem'), path.join(dir, 'cert.pem'));
  const first = new X509Certificate(readFileSync(path.join(dir, 'first.pem'))).fingerprint256;

  const child = spawn(process.execPath, [cliEntry, 'gateway', '--settings-stdin', '--exit-with-parent'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  child.stdin.write(
    `${JSON.stringify({ type: 'settings', settings: { port: 0, tlsCert: path.join(dir, 'cert.pem'), tlsKey: path.join(dir, 'key.pem') } })}\n`,
  );
  const url = await waitFor(
    `the gateway to listen (stderr: ${stderr})`,
    () => /"url":"(https:[^"]+)"/.exec(stdout)?.[1],
    15_000,
  );

  const metrics = await get(`${url}/metrics`);
  assert.equal(metrics.fingerprint, first);
  assert.equal(expiryGauge(metrics.body), firstAt.getTime() / 1000);

  // An expired file is refused like a broken one: the certificate in use stays, and so does its gauge.
  copyFileSync(path.join(dir, 'expired.pem'), path.join(dir, 'cert.pem'));
  child.kill('SIGHUP');
  await waitFor(
    'the refused reload to be logged',
    () => stderr.includes('TLS reload refused; keeping the certificate in use'),
    10_000,
  );
  assert.match(stderr, /cert\.pem expired at \S+ \(notAfter\)/);
  assert.ok(!stderr.includes('TLS certificate reloaded'), 'no reload is reported as a success');
  const kept = await get(`${url}/metrics`);
  assert.deepEqual([kept.fingerprint, expiryGauge(kept.body)], [first, firstAt.getTime() / 1000]);

  // One that expires within 14 days is used, with a warning, and the gauge follows it.
  copyFileSync(path.join(dir, 'soon.pem'), path.join(dir, 'cert.pem'));
  child.kill('SIGHUP');
  await waitFor('the reload to be logged', () => stderr.includes('TLS certificate reloaded'), 10_000);
  assert.match(stderr, /cert\.pem expires in 3\.0 days/);
  assert.equal(expiryGauge((await get(`${url}/metrics`)).body), soonAt.getTime() / 1000);
  assert.equal(child.exitCode, null, 'still running');
});
