import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBytes, parseDurationMs, parseFraction, formatMs } from '../../src/common/units.js';

test('durations parse to milliseconds', () => {
  assert.equal(parseDurationMs('10ms'), 10);
  assert.equal(parseDurationMs('15s'), 15_000);
  assert.equal(parseDurationMs('2m'), 120_000);
  assert.equal(parseDurationMs('250us'), 0.25);
  assert.equal(parseDurationMs('1.5s'), 1500);
  assert.equal(parseDurationMs(5, 's'), 5000);
  assert.throws(() => parseDurationMs('10'), /no unit/);
  assert.throws(() => parseDurationMs('10 parsecs'), /unknown duration unit/);
  assert.throws(() => parseDurationMs('fast'), /expected a duration/);
});

test('sizes parse to bytes, decimal and binary', () => {
  assert.equal(parseBytes('2GB'), 2e9);
  assert.equal(parseBytes('2GiB'), 2 * 1024 ** 3);
  assert.equal(parseBytes('512MiB'), 512 * 1024 ** 2);
  assert.equal(parseBytes(4096), 4096);
  assert.throws(() => parseBytes('2 lots'), /unknown size unit/);
});

test('fractions accept percent or plain numbers within [0, 1]', () => {
  assert.equal(parseFraction('1%'), 0.01);
  assert.equal(parseFraction(0.05), 0.05);
  assert.throws(() => parseFraction('150%'), /between 0% and 100%/);
  assert.equal(formatMs(12.345), '12.3ms');
});
