// The gateway over HTTPS as `serve up` runs it (`serve gateway` with settings and tokens on stdin),
// with a certificate the test makes: served with the CA trusted, a renewed certificate picked up on
// SIGHUP while an open connection carries on, a broken one refused without harm; and `serve bench`
// loading it with --ca and SERVE_TOKEN.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { hashToken } from '../../src/common/auth.js';
import { cliEntry } from '../helpers/paths.js';
import { needTool } from '../helpers/tools.js';
import { startFakeServer } from '../loadtest/oip-server.js';
import { waitFor } from '../cluster/helpers.js';

const TOKEN = 'bench-client-0123456789abcdef';

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, and a certificate for 127.0.0.1 signed by it (written to cert.pem/key.pem, replacing earlier ones). */
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
  writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
}
function makeLeaf(dir: string): string {
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
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    String(Date.now()),
    '-out',
    'cert.pem',
    '-days',
    '2',
    '-extfile',
    'san.cnf',
  ]);
  return new X509Certificate(readFileSync(path.join(dir, 'cert.pem'))).fingerprint256;
}

/** `serve gateway` with TLS and tokens, as the controller starts it; killed when the test ends. */
async function startTlsGateway(t: TestContext, dir: string, replicaUrl: string) {
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
  const settings = { port: 0, auth: true, tlsCert: path.join(dir, 'cert.pem'), tlsKey: path.join(dir, 'key.pem') };
  child.stdin.write(`${JSON.stringify({ type: 'settings', settings })}\n`);
  child.stdin.write(
    `${JSON.stringify({ type: 'auth', auth: { tokens: [{ name: 'bench', sha256: hashToken(TOKEN) }], openHealth: true, openMetrics: false } })}\n`,
  );
  child.stdin.write(
    `${JSON.stringify({ type: 'replicas', replicas: [{ id: 'r1', url: replicaUrl, ready: true }] })}\n`,
  );
  const url = await waitFor(
    `the gateway to listen (stderr: ${stderr})`,
    () => /"url":"(https:[^"]+)"/.exec(stdout)?.[1],
    15_000,
  );
  return { child, url, stderr: () => stderr };
}

/** GET over https with `agent`; resolves with the status and the peer certificate's fingerprint. */
function get(
  url: string,
  agent: https.Agent,
  headers: Record<string, string> = {},
): Promise<{ status: number; fingerprint: string; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent, headers }, (res) => {
      const socket = res.socket as TLSSocket;
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, fingerprint, socket }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}

test('HTTPS with the CA trusted; a renewed certificate is used after SIGHUP while an open connection carries on', async (t) => {
  if (!needTool(t, 'openssl', 'openssl', ['version'])) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  makeCa(dir);
  const first = makeLeaf(dir);
  const replica = await startFakeServer({ model: 'tiny' });
  t.after(() => replica.close());
  const gw = await startTlsGateway(t, dir, replica.url);
  assert.match(gw.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(path.join(dir, 'ca.pem'));
  const keepAlive = new https.Agent({ ca, keepAlive: true, maxSockets: 1 });
  t.after(() => keepAlive.destroy());

  const a = await get(`${gw.url}/v2/models/tiny`, keepAlive, { authorization: `Bearer ${TOKEN}` });
  assert.deepEqual([a.status, a.fingerprint], [200, first]);
  assert.equal(
    (await get(`${gw.url}/v2/models/tiny`, new https.Agent({ ca }))).status,
    401,
    'TLS does not replace the token',
  );
  await assert.rejects(
    get(`${gw.url}/v2/health/live`, new https.Agent()),
    /self.signed|unable to verify|issuer/i,
    'not trusted without the CA',
  );

  const second = makeLeaf(dir);
  assert.notEqual(second, first);
  gw.child.kill('SIGHUP');
  await waitFor(
    'new connections to get the renewed certificate',
    async () => (await get(`${gw.url}/v2/health/live`, new https.Agent({ ca }))).fingerprint === second,
    10_000,
    50,
  );
  const again = await get(`${gw.url}/v2/models/tiny`, keepAlive, { authorization: `Bearer ${TOKEN}` });
  assert.equal(again.socket, a.socket, 'the open connection was kept');
  assert.equal(again.status, 200, 'and it still answers');

  // A broken file is refused on reload: the gateway keeps the certificate it has and says why.
  writeFileSync(path.join(dir, 'cert.pem'), 'not a certificate\n');
  gw.child.kill('SIGHUP');
  await waitFor(
    'the refused reload to be logged',
    () => gw.stderr().includes('TLS reload refused; keeping the certificate in use'),
    10_000,
  );
  assert.equal((await get(`${gw.url}/v2/health/live`, new https.Agent({ ca }))).fingerprint, second);
  assert.equal(gw.child.exitCode, null, 'still running');
});

test('serve bench loads an HTTPS gateway with --ca and SERVE_TOKEN; without them it says what is missing', async (t) => {
  if (!needTool(t, 'openssl', 'openssl', ['version'])) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  makeCa(dir);
  makeLeaf(dir);
  const replica = await startFakeServer({ model: 'tiny' });
  t.after(() => replica.close());
  const gw = await startTlsGateway(t, dir, replica.url);
  // Run without blocking: the replica answers from this very process.
  const bench = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [cliEntry, 'bench', '--url', gw.url, '--rps', '50', '--duration', '1s', '--warmup', '0', '--json', ...args],
        {
          env: { ...process.env, SERVE_TOKEN: '', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  const ok = await bench(['--ca', path.join(dir, 'ca.pem')], { SERVE_TOKEN: TOKEN });
  assert.equal(ok.status, 0, ok.stderr);
  const result = JSON.parse(ok.stdout) as { requests: { ok: number; errors: number } };
  assert.ok(result.requests.ok >= 40 && result.requests.errors === 0, JSON.stringify(result.requests));
  assert.ok(!ok.stdout.includes(TOKEN), 'the token is not in the result');
  const noToken = await bench(['--ca', path.join(dir, 'ca.pem')]);
  assert.equal(noToken.status, 2);
  assert.match(
    noToken.stderr,
    /answered POST \/v2\/repository\/index with 401: it needs a bearer token; pass --token or set SERVE_TOKEN/,
  );
  const wrong = await bench(['--ca', path.join(dir, 'ca.pem'), '--token', 'some-other-token-0123456789']);
  assert.match(wrong.stderr, /does not accept the token given/);
  assert.ok(!wrong.stderr.includes('some-other-token'), 'the refused token is not echoed');
  const noCa = await bench([], { SERVE_TOKEN: TOKEN });
  assert.equal(noCa.status, 2, noCa.stderr);
  assert.match(noCa.stderr, /TLS certificate is not trusted \([A-Z_]+\): pass --ca FILE with the CA that signed it/);
});
