// Checks of data-plane settings: each kind's rule and message, and a whole settings object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSetting, flagOf, parseSettings } from '../../src/common/settings/settings.js';
import { replicaSettingsTable } from '../../src/common/settings/table.js';

test('flags are the kebab-case names, units included', () => {
  assert.equal(flagOf('batchWaitMs'), '--batch-wait-ms');
  assert.equal(flagOf('maxBodyBytes'), '--max-body-bytes');
  assert.equal(flagOf('threads'), '--threads');
});

test('each kind accepts its form and refuses others with what it expects', () => {
  const t = replicaSettingsTable;
  assert.equal(checkSetting(t.maxBatchSize, '16'), 16);
  assert.equal(checkSetting(t.maxBatchSize, 16), 16);
  assert.throws(() => checkSetting(t.maxBatchSize, '0'), /expected a whole number from 1 to 4096, got "0"/);
  assert.throws(() => checkSetting(t.maxBatchSize, '1.5'), /whole number/);
  assert.throws(() => checkSetting(t.maxBatchSize, '1e3'), /whole number/);
  assert.equal(checkSetting(t.batchWaitMs, '0.5'), 0.5);
  assert.throws(
    () => checkSetting(t.batchWaitMs, '10ms'),
    /expected a number of milliseconds from 0 to 10000 ms, got "10ms"/,
  );
  assert.equal(checkSetting(t.device, 'cpu'), 'cpu');
  assert.throws(() => checkSetting(t.device, 'tpu'), /expected one of auto, cpu, cuda/);
  assert.equal(checkSetting(t.batching, 'false'), false);
  assert.throws(() => checkSetting(t.batching, 'no'), /true or false/);
});

test('a settings object: defaults fill the rest; unknown, missing and bad ones are all named', () => {
  const s = parseSettings(replicaSettingsTable, { model: 'cnn-lstm', batchWaitMs: 2 }, 'stdin');
  assert.equal(s.batchWaitMs, 2);
  assert.equal(s.maxBatchSize, 32);
  assert.equal(s.device, 'auto');
  assert.throws(
    () => parseSettings(replicaSettingsTable, { batchWait: 2, threads: 0 }, 'the settings on stdin'),
    /^RangeError: the settings on stdin: unknown setting "batchWait"; threads: expected a whole number from 1 to 256, got 0; model is required$/,
  );
  assert.throws(() => parseSettings(replicaSettingsTable, [1], 'x'), /must be a JSON object/);
});
