// The profile's `tune` and `cost` sections (lists as YAML lists or as serve tune's flags write them,
// each value in the settings table's range, problems at their line) and writing values back into a
// profile's text with everything else kept byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseProfile } from '../../src/profile/parse.js';
import { ProfileError } from '../../src/profile/problems.js';
import { editProfileText } from '../../src/profile/edit.js';
import { parseDurationList, parseIntegerList } from '../../src/profile/fields/tune-fields.js';
import { replicaSettingsTable as t } from '../../src/common/settings/table.js';
import { repoRoot } from '../helpers/paths.js';

const problemsOf = (text: string) => {
  try {
    parseProfile(text, 'p.yaml', {}, '/work');
  } catch (err) {
    if (err instanceof ProfileError) return err.details.join('\n');
    throw err;
  }
  return '';
};

test('tune lists read as YAML lists, flag-style text and ranges; cost prices are numbers', () => {
  const p = parseProfile(
    `model: { name: cnn-lstm }
tune:
  batch_sizes: [32, 1, 8, 16, 8]
  batch_waits: "0ms,2ms, 5ms"
  replicas: 1..4
  threads: [1, "2"]
cost: { cpu_hour: 0.04, gib_hour: 0.005 }
`,
    'p.yaml',
    {},
    '/work',
  );
  assert.deepEqual(p.tune, {
    batchSizes: [1, 8, 16, 32],
    batchWaitsMs: [0, 2, 5],
    replicas: [1, 2, 3, 4],
    threads: [1, 2],
  });
  assert.deepEqual(p.cost, { cpuHour: 0.04, gibHour: 0.005 });
  const none = parseProfile('model: { name: cnn-lstm }\n', 'p.yaml', {}, '/work');
  assert.equal(none.tune, undefined);
  assert.equal(none.cost, undefined);
});

test('bad tune values are problems at their line, naming the range from the settings table', () => {
  const text = `model: { name: cnn-lstm }
tune:
  batch_sizes: [0, 8]
  batch_waits: [2, 5ms]
  replicas: 4..1
cost:
  cpu_hour: -1
`;
  const out = problemsOf(text);
  assert.match(out, /p\.yaml:3:\d+ tune\.batch_sizes: got \[0,8\]: expected a whole number from 1 to 4096, got 0/);
  assert.match(out, /p\.yaml:4:\d+ tune\.batch_waits: .*"2" has no unit/);
  assert.match(out, /p\.yaml:5:\d+ tune\.replicas: .*empty range/);
  assert.match(out, /p\.yaml:7:\d+ cost\.cpu_hour: got -1/);
  assert.throws(() => parseIntegerList('1,,2', t.maxBatchSize), /empty item/);
  assert.deepEqual(parseDurationList('10ms,0ms,2ms', t.batchWaitMs), [0, 2, 10]);
});

test('editing a profile replaces values in place: comments, spacing and order stay; missing fields are added', () => {
  const file = path.join(repoRoot, 'profiles', 'local.yaml');
  const text = readFileSync(file, 'utf8');
  const out = editProfileText(text, [
    { path: ['batching', 'max_batch_size'], value: 16 },
    { path: ['batching', 'batch_wait_timeout'], value: '2ms' },
    { path: ['gateway', 'port'], value: 0 },
    { path: ['runtime', 'threads'], value: 2 },
  ]);
  const changed = out.split('\n').filter((l, i) => l !== text.split('\n')[i]);
  assert.deepEqual(changed, ['  max_batch_size: 16', '  batch_wait_timeout: 2ms', '  threads: 2', '  port: 0']);
  assert.equal(out.split('\n').length, text.split('\n').length);
  const p = parseProfile(out, file, {}, '/work');
  assert.equal(p.batching.maxBatchSize, 16);
  assert.equal(p.gateway.port, 0);

  const flow = editProfileText('model: { name: cnn-lstm } # the model\nbatching: { max_batch_size: 32 }\n', [
    { path: ['batching', 'batch_wait_timeout'], value: '5ms' },
    { path: ['resources', 'cpus'], value: 2 },
  ]);
  assert.match(
    flow,
    /^model: \{ name: cnn-lstm \} # the model\nbatching: \{ max_batch_size: 32, batch_wait_timeout: 5ms \}\nresources:\n {2}cpus: 2\n$/,
  );
});
