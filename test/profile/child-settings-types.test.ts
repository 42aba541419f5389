// The compile-time guarantee of profile/child-settings.ts: each `@ts-expect-error` below is a table
// row or call that must not compile (the build fails on an unused one, so loosening a check fails the
// build); the test then runs the rows that do compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TableSetting } from '../../src/common/settings/settings.js';
import { settingsFromProfile } from '../../src/profile/child-settings.js';
import { parseProfile } from '../../src/profile/parse.js';

const profile = parseProfile('model:\n  name: cnn-lstm\n', 'p.yaml', {}, '/work');
const integer = { kind: 'integer', help: 'h' } as const;

// A row without a source.
// @ts-expect-error -- `from` is required
const noSource = { a: { kind: 'integer', help: 'h' } } as const satisfies Record<string, TableSetting>;

// A path Profile does not have (a typo), and a section that does not exist.
const typo = { a: { ...integer, from: 'batching.maxBatchSiz' } } as const;
// @ts-expect-error -- 'batching.maxBatchSiz' is no path of Profile
settingsFromProfile<{ a: number }, typeof typo>(typo, profile, {}, {});
const noSection = { a: { ...integer, from: 'batch.maxBatchSize' } } as const;
// @ts-expect-error -- Profile has no section 'batch'
settingsFromProfile<{ a: number }, typeof noSection>(noSection, profile, {}, {});

// A profile value of another type than the setting's, without a conversion.
const wrongType = { a: { ...integer, from: 'gateway.host' } } as const;
// @ts-expect-error -- a string does not fit a number setting: a conversion is required
settingsFromProfile<{ a: number }, typeof wrongType>(wrongType, profile, {}, {});

// A launch value left out.
const launched = { a: { ...integer, from: 'run' } } as const;
// @ts-expect-error -- the launch must give `a` (undefined to take the default)
settingsFromProfile<{ a: number }, typeof launched>(launched, profile, {}, {});

test('rows that compile take their values from their sources', () => {
  assert.equal(noSource.a.kind, 'integer');
  const table = {
    size: { ...integer, from: 'batching.maxBatchSize' },
    host: { kind: 'text', help: 'h', from: 'gateway.host' },
    port: { ...integer, from: 'run', default: 5 },
    fixed: { ...integer, from: 'default', default: 7 },
    authed: { kind: 'boolean', help: 'h', from: 'gateway.auth' },
    p99: { ...integer, from: 'slo.p99Ms', default: 100 },
  } as const;
  type S = { size: number; host: string; port: number; fixed: number; authed: boolean; p99: number };
  const s = settingsFromProfile<S, typeof table>(
    table,
    profile,
    { port: undefined },
    { authed: (auth) => auth !== undefined },
  );
  assert.deepEqual(s, { size: 32, host: '127.0.0.1', port: 5, fixed: 7, authed: false, p99: 100 });
});
