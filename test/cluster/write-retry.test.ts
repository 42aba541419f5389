// The controller's retried writes (control plane, pure on a manual clock): a failed write is reported
// once, listed for `serve status`, retried every second with the latest content, and cleared (and
// reported) when it succeeds; the status line that shows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { DiskFullError } from '../../src/common/atomic-write.js';
import { RetriedWrites } from '../../src/cluster/state/write-retry.js';
import { renderWriteFailure } from '../../src/cli/status/render.js';

test('a failed write is reported once, retried every second with the latest content, and cleared when the disk takes it', () => {
  const clock = new ManualClock();
  const lines: Array<[string, boolean]> = [];
  const writes = new RetriedWrites(
    clock,
    (l, warn) => lines.push([l, warn]),
    1000,
    () => new Date('2026-01-01T12:00:01Z'),
  );
  let full = true;
  const written: string[] = [];
  const write = (text: string) => () => {
    if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    written.push(text);
  };
  assert.equal(writes.attempt('/s/state.json', write('first')), false);
  assert.equal(
    writes.attempt('/s/state.json', () => {
      throw new DiskFullError('/s/state.json', 'ENOSPC');
    }),
    false,
  );
  assert.equal(writes.attempt('/s/state.json', write('second')), false);
  assert.equal(lines.length, 1, 'one report for a run of failures');
  assert.match(
    lines[0]![0],
    /^cannot write \/s\/state\.json: ENOSPC: no space left on device, write; the cluster keeps running and tries again every 1 s$/,
  );
  assert.deepEqual(writes.failures(), [
    {
      file: '/s/state.json',
      error: 'ENOSPC: no space left on device, write',
      since: '2026-01-01T12:00:01.000Z',
      failures: 3,
    },
  ]);
  clock.advance(1000);
  assert.equal(writes.failures()[0]!.failures, 4, 'retried by the timer');
  full = false;
  clock.advance(1000);
  assert.deepEqual(written, ['second'], 'the latest content, once');
  assert.deepEqual(writes.failures(), []);
  assert.deepEqual(lines[1], [
    '/s/state.json is written again (after 4 failed tries since 2026-01-01T12:00:01.000Z)',
    false,
  ]);
  assert.equal(clock.pendingTimers, 0, 'no timer while nothing fails');
  full = true;
  writes.attempt('/s/state.json', write('third'));
  writes.close();
  assert.equal(clock.pendingTimers, 0, 'close() stops the retries');
});

test('serve status shows a file it cannot write in one line: which, since when, and why', () => {
  assert.equal(
    renderWriteFailure({
      file: '/s/state.json',
      error:
        'the disk holding /s is full (ENOSPC, no space left): cannot write state.json; free some space there and try again',
      since: '2026-01-01T12:00:01.000Z',
      failures: 3,
    }),
    '  disk: /s/state.json not written since 12:00:01 UTC (3 failed tries, retried every second): the disk holding /s is full (ENOSPC, no space left): cannot write state.json; free some space there and try again',
  );
  assert.match(
    renderWriteFailure({
      file: '/s/logs/gateway.log',
      error: 'e',
      since: '2026-01-01T12:00:01.000Z',
      failures: 1200,
      droppedLines: 1200,
    }),
    /\(1,200 lines dropped, logging resumes when the disk takes them\): e$/,
  );
});
