// A login that does not finish in time, with the real ssh: a server on loopback takes the TCP
// connection and never says a word. The connection's own time limit (on the injected clock) ends
// it, and the reason it gives, and keeps once ssh is gone, says the login timed out, never
// "lost the SSH connection ... (ssh exited with null)". (Needs only the ssh client, no sshd.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/common/log.js';
import { ConnectError, SshConnection } from '../../src/cluster/hosts/ssh-connection.js';
import { hasTool } from '../helpers/tools.js';

test('a login that does not finish in time is reported as timed out, not as a lost connection', async (t) => {
  if (!hasTool('sh', ['-c', 'command -v ssh'])) return t.skip('no ssh client');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-login-'));
  const sockets: net.Socket[] = [];
  // Takes the connection, never sends ssh's banner.
  const server = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = (server.address() as net.AddressInfo).port;
  writeFileSync(path.join(dir, 'known_hosts'), '');
  const clock = new ManualClock();
  const states: Array<[string, string | undefined]> = [];
  const conn = new SshConnection({
    hostName: 'h1',
    target: { destination: `ssh://root@127.0.0.1:${port}`, hostname: '127.0.0.1', port, user: 'root' },
    config: {
      knownHostsFile: path.join(dir, 'known_hosts'),
      configFile: 'none',
      connectTimeoutMs: 60_000,
      keepaliveMs: 1000,
      keepaliveCount: 3,
    },
    controlPath: path.join(dir, 'ssh', 'c'),
    node: process.execPath,
    trustCommand: 'serve hosts trust h1',
    clock,
    log: createLogger({}, { write: () => {} }),
    onState: (state, why) => void states.push([state, why]),
  });
  const opening = conn.open();
  // ssh is connected and waiting for the banner; the login's time limit (connect timeout + 10 s) runs out.
  for (let i = 0; i < 200 && sockets.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(sockets.length, 1, 'ssh connected');
  clock.advance(70_000);
  const err = await opening.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConnectError, String(err));
  assert.match(
    err.message,
    /^host h1 \(.*\): cannot connect \(timed out: the login did not finish within 70s\): check/,
  );
  // ssh has been killed; once it is gone the reason still says so.
  for (let i = 0; i < 200 && states.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(
    states.map(([s]) => s),
    ['connecting', 'down'],
  );
  assert.equal(conn.state, 'down');
  assert.match(conn.reason ?? '', /timed out: the login did not finish/);
  assert.doesNotMatch(conn.reason ?? '', /exited with null/);
});
