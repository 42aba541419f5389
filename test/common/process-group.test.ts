// groupMembers: the live processes of a process group from /proc, as `serve down` waits for them
// (a holder that exits before its serving gateway must not end the wait).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { groupMembers } from '../../src/common/process.js';

test('groupMembers lists a group leader and its child until the group is killed', async () => {
  // A shell leading its own group, with a sleeping child in it.
  const leader = spawn('sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' });
  const pgid = leader.pid!;
  const exited = new Promise<void>((resolve) => leader.once('exit', () => resolve()));
  try {
    let members: number[] = [];
    for (let i = 0; i < 100 && members.length < 2; i++) {
      members = groupMembers(pgid);
      if (members.length < 2) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(members.includes(pgid), 'the leader is in its group');
    assert.equal(members.length, 2, 'and its sleeping child');
  } finally {
    process.kill(-pgid, 'SIGKILL');
  }
  await exited;
  for (let i = 0; i < 100 && groupMembers(pgid).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(groupMembers(pgid), [], 'nothing left once the group is killed');
  assert.deepEqual(groupMembers(999_999_999), []);
});
