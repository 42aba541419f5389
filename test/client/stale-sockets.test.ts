// removeStaleSockets (client/stale-sockets.ts): after `serve down`, a socket in run/ that refuses
// connections (its process was killed with SIGKILL) is removed; one a process still listens on, a
// plain file and a link are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { removeStaleSockets } from '../../src/client/stale-sockets.js';

test('removes the sockets nothing listens on, and only those', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const live = net.createServer();
  await new Promise<void>((r) => live.listen(path.join(dir, 'replica-1.aa.sock'), r));
  t.after(() => live.close());
  // A socket whose process died without removing it: a child listens, then is killed with SIGKILL.
  const stale = path.join(dir, 'replica-2.bb.frames.sock');
  const code = `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', code]);
  assert.ok(existsSync(stale), 'the killed process left its socket');
  writeFileSync(path.join(dir, 'notes.sock'), 'not a socket');
  symlinkSync(stale, path.join(dir, 'link.sock'));

  assert.equal(await removeStaleSockets(dir), 1);
  assert.equal(existsSync(stale), false);
  assert.ok(existsSync(path.join(dir, 'replica-1.aa.sock')), 'a socket in use stays');
  assert.ok(existsSync(path.join(dir, 'notes.sock')));
  assert.equal(await removeStaleSockets(path.join(dir, 'missing')), 0, 'no run directory: nothing to do');
});
