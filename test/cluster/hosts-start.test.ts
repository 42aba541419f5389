// Hosts at the start and a lost helper, the pure parts (issue 29, items 2 and 5): which failures of
// a first attempt let `serve up` start with the other hosts and which stop it, what it says about a
// host started without; what the end of the heartbeat's channel or of the master means; and the
// heartbeat on a manual clock: echoes keep a host up, silence loses it, a reader that ended is
// started again over the connection (its channel swapped once it says ready), and one that cannot
// be started again is the host's loss with ssh's last line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { ManualClock } from '../../src/common/clock.js';
import { ExitCode } from '../../src/common/exit-codes.js';
import { UnreachableError, UserError } from '../../src/common/errors.js';
import { HostDownError, downAtStartMessage, startVerdict } from '../../src/cluster/hosts/start-verdict.js';
import { Heartbeat, heartbeatEndVerdict, masterEndVerdict } from '../../src/cluster/hosts/ssh-heartbeat.js';

const refused = new HostDownError('host h2 (root@10.0.0.2:22): cannot connect (Connection refused): check ...');

test('serve up starts with the hosts it reached: a host down is left out, a key or version problem stops the start', () => {
  const v = startVerdict([{ name: 'local' }, { name: 'h1' }, { name: 'h2', failure: refused }]);
  assert.deepEqual(v, { start: true, down: [{ name: 'h2', why: refused.message }] });
  assert.deepEqual(startVerdict([{ name: 'local' }, { name: 'h1' }]), { start: true, down: [] });
  // Every host down: nothing to place on, exit 3 as before.
  const none = startVerdict([{ name: 'h1', failure: refused }]);
  assert.ok(!none.start && none.error instanceof UnreachableError);
  assert.equal(!none.start && none.error.exitCode, ExitCode.Unreachable);
  // An unknown host key is not a host that may come up: it stops the start, whatever else is up.
  const key = new UnreachableError('host h1 (...): its host key is not in /k ...');
  const k = startVerdict([{ name: 'local' }, { name: 'h1', failure: key }, { name: 'h2', failure: refused }]);
  assert.ok(!k.start);
  assert.equal(!k.start && k.error.message, key.message);
  assert.equal(!k.start && k.error.exitCode, ExitCode.Unreachable);
  // Another serve version there: that UserError itself (exit 2).
  const version = new UserError('host h1: serve there is 0.0.9, here 0.1.0: install ...');
  const u = startVerdict([{ name: 'local' }, { name: 'h1', failure: version }]);
  assert.ok(!u.start && u.error === version);
  assert.equal(
    downAtStartMessage('h2', 'cannot connect (Connection refused)', 740),
    'host h2 is down at the start: cannot connect (Connection refused); serve starts with the other ' +
      'hosts and tries it again (next attempt in 0.7s)',
  );
});

test('the end of the heartbeat or of the master: a reader that ended is started again, a host lost only with ssh', () => {
  assert.equal(heartbeatEndVerdict({ stopped: false, current: true, connectionUp: true }), 'restart');
  assert.equal(heartbeatEndVerdict({ stopped: true, current: true, connectionUp: true }), 'ignore');
  assert.equal(heartbeatEndVerdict({ stopped: false, current: false, connectionUp: true }), 'ignore');
  assert.equal(heartbeatEndVerdict({ stopped: false, current: true, connectionUp: false }), 'ignore');
  const end = {
    closing: false,
    heartbeatLost: undefined,
    readerEnded: true,
    code: 255,
    signal: null,
    stderrSinceUp: '',
  };
  // The reader killed with no session open: ssh ends quietly with it; opened again, not lost.
  assert.equal(masterEndVerdict(end), 'reopen');
  assert.equal(masterEndVerdict({ ...end, closing: true }), 'closed');
  // The connection dropped: ssh says so, or we killed it for silence.
  assert.equal(masterEndVerdict({ ...end, stderrSinceUp: 'Connection to 10.0.0.2 closed by remote host.\n' }), 'lost');
  assert.equal(masterEndVerdict({ ...end, heartbeatLost: 'no answer to 4 heartbeats in 4s' }), 'lost');
  assert.equal(masterEndVerdict({ ...end, code: null, signal: 'SIGKILL' }), 'lost');
  assert.equal(masterEndVerdict({ ...end, readerEnded: false }), 'lost');
  assert.equal(masterEndVerdict({ ...end, code: 0 }), 'lost', 'the reader gave up on heartbeats: a one-way cut');
});

/** A channel or session as the heartbeat sees it: what it writes, what it reads. */
type FakeSession = ChildProcess & { written: string[]; stdout: PassThrough; stderr: PassThrough };

function fakeSession(): FakeSession {
  const p = new EventEmitter() as unknown as FakeSession;
  const stdin = new PassThrough();
  p.written = [];
  stdin.on('data', (c: Buffer) => p.written.push(c.toString()));
  Object.assign(p, { stdin, stdout: new PassThrough(), stderr: new PassThrough() });
  return p;
}

const tick = () => new Promise((r) => setImmediate(r));

test('the heartbeat: echoes keep the host, silence loses it, an ended reader is started again over the connection', async () => {
  const clock = new ManualClock();
  const lost: string[] = [];
  const notes: string[] = [];
  const sessions: Array<ReturnType<typeof fakeSession>> = [];
  let up = true;
  const master = fakeSession();
  const hb = new Heartbeat(
    {
      clock,
      keepaliveMs: 1000,
      keepaliveCount: 3,
      startSession: () => {
        const s = fakeSession();
        sessions.push(s);
        return s;
      },
      onLost: (why) => void lost.push(why),
      onNote: (m) => void notes.push(m),
    },
    { input: master.stdin!, output: master.stdout! },
    () => up,
  );
  const echo = async (s: FakeSession) => {
    s.stdout.write('.\n');
    await tick();
  };
  for (let i = 0; i < 6; i++) {
    clock.advance(1000);
    await echo(master);
  }
  assert.deepEqual(lost, []);
  assert.equal(master.written.length, 7, 'one heartbeat a second, the first at once');

  // The reader there is killed: its channel ends while the connection is up. It is started again.
  master.stdout.end();
  await tick();
  assert.equal(sessions.length, 1);
  assert.equal(hb.masterReaderEnded, true);
  clock.advance(500);
  sessions[0]!.stdout.write('ready\n');
  await tick();
  assert.match(
    notes[0]!,
    /^its heartbeat process ended while the SSH connection still works; started again over it in 500 ms/,
  );
  // Heartbeats now go to the new session, its echoes keep the host; nothing was lost.
  for (let i = 0; i < 6; i++) {
    clock.advance(1000);
    await echo(sessions[0]!);
  }
  assert.deepEqual(lost, []);
  assert.ok(sessions[0]!.written.length >= 6, `${sessions[0]!.written.length} heartbeats to the new session`);

  // That one ends too, and the next cannot start (the master is wedged): the host is lost, named.
  sessions[0]!.stdout.end();
  await tick();
  sessions[1]!.stderr.write('mux_client_request_session: read from master failed: Broken pipe\n');
  await tick();
  sessions[1]!.emit('close', 255, null);
  assert.deepEqual(lost, [
    'its heartbeat process ended and could not be started again (mux_client_request_session: read from master failed: Broken pipe)',
  ]);
  assert.equal(hb.lost, lost[0]);

  // Silence (a one-way cut): lost after keepalive_count + 1 periods without an echo.
  const quiet = fakeSession();
  const silentLost: string[] = [];
  const hb2 = new Heartbeat(
    {
      clock,
      keepaliveMs: 1000,
      keepaliveCount: 3,
      startSession: () => assert.fail('silence is no reason to start the reader again'),
      onLost: (why) => void silentLost.push(why),
      onNote: () => {},
    },
    { input: quiet.stdin!, output: quiet.stdout! },
    () => up,
  );
  clock.advance(4000);
  assert.deepEqual(silentLost, []);
  clock.advance(1000);
  assert.deepEqual(silentLost, ['no answer to 4 heartbeats in 5s']);
  // A channel that ends once the connection is down or the heartbeat stopped starts nothing.
  up = false;
  quiet.stdout.end();
  await tick();
  hb2.stop();
  hb.stop();
});
