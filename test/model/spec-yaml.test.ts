// model.yaml: what the writer emits reads back to the same spec; validation covers each field (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/common/errors.js';
import { buildDemoModel } from '../../src/model/demo.js';
import { formatModelYaml, parseModelYaml } from '../../src/model/spec-yaml.js';

const expect = { name: 'm', version: 4 };

function problemsOf(text: string): string[] {
  try {
    parseModelYaml(text, 'm.yaml', expect);
  } catch (err) {
    assert.ok(err instanceof UserError);
    return err.details.length ? [...err.details] : [err.message];
  }
  assert.fail('expected a UserError');
}

test('formatModelYaml output parses back to the same spec', () => {
  const { spec } = buildDemoModel({ name: 'm', version: 4 });
  assert.deepEqual(parseModelYaml(formatModelYaml(spec), 'm.yaml', expect), spec);
  const bare = { ...spec, preprocessing: undefined, description: '' };
  delete bare.preprocessing;
  assert.deepEqual(parseModelYaml(formatModelYaml(bare), 'm.yaml', expect), bare);
});

test('minimal yaml: name and description optional, version from the folder', () => {
  const spec = parseModelYaml(
    'inputs: [{name: a, datatype: INT64, shape: [-1]}]\noutputs: [{name: b, datatype: FP16, shape: [-1, 2]}]\n',
    'm.yaml',
    expect,
  );
  assert.deepEqual(spec, {
    name: 'm',
    version: 4,
    description: '',
    inputs: [{ name: 'a', datatype: 'INT64', shape: [-1] }],
    outputs: [{ name: 'b', datatype: 'FP16', shape: [-1, 2] }],
  });
});

test('every problem is reported with file:line:col and field path', () => {
  const text = [
    'version: 3',
    'inputs:',
    '  - name: a',
    '    datatype: FLOAT',
    '    shape: [-1, 2.5]',
    '  - name: a',
    '    datatype: FP32',
    '    shape: [-1, 4]',
    'outputs: []',
    'preprocessing:',
    '  normalize: {input: zz, mean: [0, 0, 0, 0], std: [1, 0, 1, 1]}',
  ].join('\n');
  const problems = problemsOf(text);
  const expected = [
    /^m\.yaml:1:10: field "version": is 3 but the folder says 4/,
    /^m\.yaml:4:15: field "inputs\[0\]\.datatype": needs "datatype"/,
    /^m\.yaml:5:12: field "inputs\[0\]\.shape": needs "shape"/,
    /^m\.yaml:6:11: field "inputs\[1\]\.name": duplicate tensor name "a"/,
    /^m\.yaml:9:10: field "outputs": must be a non-empty list/,
    /^m\.yaml:11:22: field "preprocessing\.normalize\.input": must name one of the inputs \(a, a\)/,
    /^m\.yaml:11:\d+: field "preprocessing\.normalize\.std": every std must be > 0/,
  ];
  assert.equal(problems.length, expected.length, problems.join('\n'));
  expected.forEach((re, i) => assert.match(problems[i]!, re));
});

test('a document that is not a mapping is one problem', () => {
  assert.deepEqual(problemsOf('- 1\n- 2\n'), ['m.yaml:1:1: document: must be a mapping with inputs and outputs']);
});
