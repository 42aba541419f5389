// Every profile field has a row in the carry table (src/export/carry.ts), so a field added to the
// profile is never silently dropped by an export: this test names the row to add.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { carryTable } from '../../src/export/carry.js';
import { EXPORT_TARGETS } from '../../src/export/types.js';
import { profileTree } from '../../src/profile/schema.js';
import type { Node } from '../../src/profile/tree.js';

/** Dotted paths of every leaf, list and map of the profile tree. */
function fieldPaths(node: Node, prefix = ''): string[] {
  if (node.kind !== 'section') return [prefix];
  return Object.entries(node.fields).flatMap(([k, child]) => fieldPaths(child, prefix ? `${prefix}.${k}` : k));
}

test('every profile field says how each target carries it', () => {
  const missing = fieldPaths(profileTree).filter((p) => !(p in carryTable));
  assert.deepEqual(
    missing,
    [],
    `add a row to carryTable in src/export/carry.ts for ${missing.join(', ')}: for triton, kserve and ray, { to: 'where it is written' }, { warn: (c) => 'why it does not carry' }, or { na: 'why it means nothing there' }`,
  );
});

test('every row names a profile field and decides each target', () => {
  const fields = new Set(fieldPaths(profileTree));
  for (const [field, row] of Object.entries(carryTable)) {
    assert.ok(fields.has(field), `carryTable has a row for "${field}", which is not a profile field`);
    for (const target of EXPORT_TARGETS) {
      const c = row[target];
      assert.ok(
        c.to !== undefined || c.warn !== undefined || c.na !== undefined,
        `${field} (${target}): neither to, warn nor na`,
      );
      assert.ok(
        c.na === undefined || (c.to === undefined && c.warn === undefined),
        `${field} (${target}): na excludes to and warn`,
      );
    }
  }
});

test('a field without a row is found (the check above is real)', () => {
  const tree = {
    kind: 'section',
    doc: '',
    fields: {
      ...profileTree.fields,
      warmup: { kind: 'section', doc: '', fields: { requests: profileTree.fields.drain_timeout } },
    },
  } as Node;
  assert.deepEqual(
    fieldPaths(tree).filter((p) => !(p in carryTable)),
    ['warmup.requests'],
  );
});
