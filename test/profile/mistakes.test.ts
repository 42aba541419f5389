// Each kind of profile mistake gives one precise problem: file, line, column, field and message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProfile } from '../../src/profile/parse.js';
import { ProfileError } from '../../src/profile/problems.js';
import { assertOneProblem, base, problemsOf } from './helpers.js';

test('an unknown key suggests the nearest one', () => {
  assertOneProblem(`${base}replica:\n  min: 1\n`, {
    line: 3,
    col: 1,
    path: 'replica',
    message: /^unknown key "replica" at the top level, did you mean "replicas"\?$/,
  });
});

test('a camelCase key suggests its snake_case name', () => {
  assertOneProblem(`${base}autoscaling:\n  targetOngoingRequests: 3\n`, {
    line: 4,
    col: 3,
    path: 'autoscaling.targetOngoingRequests',
    message: /did you mean "target_ongoing_requests"\?$/,
  });
});

test('a key in the wrong section says where it belongs', () => {
  assertOneProblem(`${base}port: 8000\n`, {
    line: 3,
    col: 1,
    path: 'port',
    message: /did you mean gateway\.port \(it belongs under gateway\)/,
  });
});

test('an unrelated unknown key lists the keys allowed there', () => {
  assertOneProblem(`${base}health:\n  zzzzzz: 1\n`, {
    line: 4,
    col: 3,
    path: 'health.zzzzzz',
    message: /expected one of period, timeout, failure_threshold, startup_timeout$/,
  });
});

test('a YAML syntax error is reported at its position', () => {
  assertOneProblem(`${base}replicas:\n  min: [1, 2\nhealth: {}\n`, {
    line: 5,
    col: 1,
    path: '',
    message: /^YAML syntax error: Flow sequence/,
  });
});

test('a string where an integer belongs', () => {
  assertOneProblem(`${base}replicas:\n  min: "two"\n`, {
    line: 4,
    col: 8,
    path: 'replicas.min',
    message: /^got "two", expected an integer from 0 to 1024$/,
  });
});

test('a fractional replica count', () => {
  assertOneProblem(`${base}replicas:\n  max: 2.5\n`, {
    line: 4,
    col: 8,
    path: 'replicas.max',
    message: /^got 2\.5, expected an integer from 1 to 1024$/,
  });
});

test('a duration without a unit', () => {
  assertOneProblem(`${base}health:\n  period: 500\n`, {
    line: 4,
    col: 11,
    path: 'health.period',
    message: /^got 500, expected a duration such as "10ms" or "15s"/,
  });
});

test('a duration with an unknown unit', () => {
  assertOneProblem(`${base}autoscaling:\n  upscale_delay: 15 secs\n`, {
    line: 4,
    col: 18,
    path: 'autoscaling.upscale_delay',
    message: /unknown duration unit "secs" in "15 secs": use us, ms, s, m or h/,
  });
});

test('a size with an unknown unit', () => {
  assertOneProblem(`${base}resources:\n  memory: 2 gigs\n`, {
    line: 4,
    col: 11,
    path: 'resources.memory',
    message: /unknown size unit "gigs"/,
  });
});

test('a zero memory size', () => {
  assertOneProblem(`${base}resources:\n  memory: 0MiB\n`, {
    line: 4,
    col: 11,
    path: 'resources.memory',
    message: /^got "0MiB", expected a size more than 0/,
  });
});

test('a port out of range', () => {
  assertOneProblem(`${base}gateway:\n  port: 70000\n`, {
    line: 4,
    col: 9,
    path: 'gateway.port',
    message: /^got 70000, expected an integer from 0 to 65535$/,
  });
});

test('a batch size of zero', () => {
  assertOneProblem(`${base}batching:\n  max_batch_size: 0\n`, {
    line: 4,
    col: 19,
    path: 'batching.max_batch_size',
    message: /^got 0, expected an integer from 1 to 4096$/,
  });
});

test('a word outside an enumeration', () => {
  assertOneProblem(`${base}runtime:\n  device: gpu\n`, {
    line: 4,
    col: 11,
    path: 'runtime.device',
    message: /^got "gpu", expected one of "auto", "cpu", "cuda"$/,
  });
});

test('yes is not a boolean in YAML 1.2', () => {
  assertOneProblem(`${base}autoscaling:\n  enabled: yes\n`, {
    line: 4,
    col: 12,
    path: 'autoscaling.enabled',
    message: /^got "yes", expected true or false$/,
  });
});

test('an error rate above 100%', () => {
  assertOneProblem(`slo:\n  error_rate: 150%\n${base}`, {
    line: 2,
    col: 15,
    path: 'slo.error_rate',
    message: /between 0% and 100%, got "150%"/,
  });
});

test('a section that is not a mapping', () => {
  assertOneProblem(`${base}replicas: 3\n`, {
    line: 3,
    col: 11,
    path: 'replicas',
    message: /^got 3, expected a mapping with keys such as min, max, initial$/,
  });
});

test('a missing model name points at the model key', () => {
  assertOneProblem('name: x\nmodel:\n  version: 2\n', {
    line: 2,
    col: 1,
    path: 'model.name',
    message: /^is missing, expected a model name such as "cnn-lstm"/,
  });
});

test('a duplicate key names the first occurrence', () => {
  assertOneProblem(`${base}drain_timeout: 5s\ndrain_timeout: 6s\n`, {
    line: 4,
    col: 1,
    path: 'drain_timeout',
    message: /^duplicate key "drain_timeout" \(first at line 3\), remove one of them$/,
  });
});

test('an empty file', () => {
  assertOneProblem('# nothing here\n', {
    line: 1,
    col: 1,
    path: '',
    message: /^the file is empty, expected a mapping with at least model\.name/,
  });
});

test('a fraction of a GPU above one', () => {
  assertOneProblem(`${base}resources:\n  gpus: 1.5\n`, {
    line: 4,
    col: 9,
    path: 'resources.gpus',
    message: /^got 1\.5, expected a fraction of one GPU \(at most 1\) or a whole number of GPUs$/,
  });
});

test('cross-field: replicas.min above replicas.max', () => {
  assertOneProblem(`${base}replicas:\n  min: 5\n  max: 3\n`, {
    line: 4,
    col: 8,
    path: 'replicas.min',
    message: /^got 5, expected at most replicas\.max \(3\)$/,
  });
});

test('cross-field: replicas.initial outside min..max', () => {
  assertOneProblem(`${base}replicas:\n  min: 2\n  max: 4\n  initial: 9\n`, {
    line: 6,
    col: 12,
    path: 'replicas.initial',
    message: /^got 9, expected at most replicas\.max \(4\)$/,
  });
});

test('cross-field: a probe timeout not shorter than the period, against a default', () => {
  assertOneProblem(`${base}health:\n  period: 150ms\n`, {
    line: 4,
    col: 11,
    path: 'health.period',
    message:
      /^got 150ms, expected more than health\.timeout \(200ms, the default\): a probe must end before the next one starts$/,
  });
});

test('cross-field: a batch wait that alone breaks the p99 target', () => {
  assertOneProblem(`${base}batching:\n  batch_wait_timeout: 120ms\n`, {
    line: 4,
    col: 23,
    path: 'batching.batch_wait_timeout',
    message: /^got 120ms, expected less than slo\.p99 \(100ms, the default\)/,
  });
});

test('cross-field: percentile targets out of order', () => {
  assertOneProblem(`${base}slo:\n  p50: 90ms\n  p95: 80ms\n`, {
    line: 4,
    col: 8,
    path: 'slo.p50',
    message: /^got 90ms, expected at most slo\.p95 \(80ms\): percentile targets must not decrease$/,
  });
});

test('cross-field: throughput minimum above its target', () => {
  assertOneProblem(`${base}slo:\n  throughput: { target: 50, minimum: 100 }\n`, {
    line: 4,
    col: 38,
    path: 'slo.throughput.minimum',
    message: /^got 100, expected at most slo\.throughput\.target \(50\)$/,
  });
});

test('cross-field: a replica larger than the host capacity written in local', () => {
  assertOneProblem(`${base}resources:\n  cpus: 4\nlocal:\n  cpus: 2\n`, {
    line: 4,
    col: 9,
    path: 'resources.cpus',
    message: /^got 4, expected at most local\.cpus \(2\): one replica must fit on this host$/,
  });
});

test('a missing environment variable is named at its column', () => {
  assertOneProblem(`${base}gateway:\n  host: "x-\${GW_HOST}"\n`, {
    line: 4,
    col: 12,
    path: 'gateway.host',
    message: /^environment variable GW_HOST is not set \(referenced as "\$\{GW_HOST\}"\)/,
  });
});

test('every mistake in one file is reported at once, in file order', () => {
  const text = [
    'name: my profile', // 1: bad name
    'model:', // 2: name missing
    '  nme: cnn-lstm', // 3: unknown key
    'replicas:',
    '  min: 5',
    '  max: 3', // 6: min > max (reported on min, line 5)
    'health:',
    '  period: 500', // 8: no unit
    'gateway:',
    '  port: ${NOPE}', // 10: missing env
    'slo:',
    '  p50: 90ms', // 12: above p95
    '  p95: 80ms',
  ].join('\n');
  const problems = problemsOf(text);
  assert.deepEqual(
    problems.map((p) => `${p.line}:${p.col} ${p.path}`),
    [
      '1:7 name',
      '2:1 model.name',
      '3:3 model.nme',
      '5:8 replicas.min',
      '8:11 health.period',
      '10:9 gateway.port',
      '12:8 slo.p50',
    ],
  );
  try {
    parseProfile(text, 'p.yaml', {}, '/work');
    assert.fail('expected a ProfileError');
  } catch (err) {
    assert.ok(err instanceof ProfileError);
    assert.equal(err.message, 'profile p.yaml has 7 problems:');
    assert.equal(err.exitCode, 2);
    assert.equal(
      err.details[0],
      'p.yaml:1:7 name: got "my profile", expected a profile name: letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
    assert.equal(err.details.length, 7);
  }
});

test('a value failing several checks of one field is reported once', () => {
  assertOneProblem(`${base}batching:\n  max_batch_size: -0.5\n`, {
    line: 4,
    col: 19,
    path: 'batching.max_batch_size',
    message: /^got -0\.5, expected an integer from 1 to 4096$/,
  });
});
