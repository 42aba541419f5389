// Flag parsing of `serve bench` (loadtest, pure): defaults, profile targets overridden by flags,
// and every bad flag named in one error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchFlags, benchDefaults } from '../../src/loadtest/flags.js';
import { UserError } from '../../src/common/errors.js';

test('defaults for an open-loop run', () => {
  const { options, targets, maxRegression } = parseBenchFlags({ url: 'http://127.0.0.1:1' });
  assert.equal(options.mode, 'open');
  assert.equal(options.ratePerSec, benchDefaults.ratePerSec);
  assert.equal(options.durationMs, 30_000);
  assert.equal(options.connections, 256);
  assert.equal(options.arrival, 'constant');
  assert.deepEqual(targets, {});
  assert.equal(maxRegression, 0.1);
});

test('warmup is 2 s unless given; --warmup 0 turns it off (issue 21)', () => {
  assert.equal(parseBenchFlags({ url: 'http://127.0.0.1:1' }).options.warmupMs, 2000);
  assert.equal(parseBenchFlags({ url: 'http://127.0.0.1:1', warmup: '0' }).options.warmupMs, 0);
  assert.equal(parseBenchFlags({ url: 'http://127.0.0.1:1', warmup: '10s' }).options.warmupMs, 10_000);
});

test('units, ramps, closed loop and targets', () => {
  const { options, targets } = parseBenchFlags({
    url: 'http://h:1',
    rps: '50:1000:50',
    step: '2s',
    duration: '5',
    warmup: '500ms',
    timeout: '2s',
    p50: '50ms',
    p95: '80',
    p999: '1s',
    max: '200ms',
    errorRate: '1%',
    minRps: '50',
    arrival: 'poisson',
  });
  assert.deepEqual(options.ramp, { fromPerSec: 50, toPerSec: 1000, byPerSec: 50, stepMs: 2000 });
  assert.equal(options.durationMs, 5000);
  assert.equal(options.warmupMs, 500);
  assert.equal(options.arrival, 'poisson');
  assert.deepEqual(targets, { p50Ms: 50, p95Ms: 80, p999Ms: 1000, maxMs: 200, errorRate: 0.01, minRps: 50 });
  const closed = parseBenchFlags({ url: 'http://h:1', concurrency: '8' }).options;
  assert.equal(closed.mode, 'closed');
  assert.equal(closed.concurrency, 8);
});

test('a profile supplies url, model, targets and rate; flags override', () => {
  const { options, targets } = parseBenchFlags(
    { p99: '90ms' },
    { url: 'http://g:9', model: 'm', slo: { p99Ms: 100, p50Ms: 50, targetRps: 200 } },
  );
  assert.equal(options.url, 'http://g:9');
  assert.equal(options.model, 'm');
  assert.equal(options.ratePerSec, 200);
  assert.deepEqual(targets, { p99Ms: 90, p50Ms: 50, targetRps: 200 });
});

test('every bad flag is named in one error', () => {
  assert.throws(
    () =>
      parseBenchFlags({
        url: 'ftp://x',
        rps: 'x',
        p99: '10 parsecs',
        connections: '0',
        arrival: 'bursty',
        errorRate: '150%',
      }),
    (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal(err.exitCode, 2);
      const all = [err.message, ...err.details].join('\n');
      for (const flag of ['--url', '--rps', '--p99', '--connections', '--arrival', '--error-rate'])
        assert.ok(all.includes(flag), `${flag} in ${all}`);
      return true;
    },
  );
  assert.throws(() => parseBenchFlags({}), /--url: give the server/);
  assert.throws(() => parseBenchFlags({ url: 'http://h:1', rps: '10', concurrency: '2' }), /give one of them/);
});
