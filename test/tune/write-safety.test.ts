// What `serve tune --write` may write (pure): the capacity guard and the diff of the written profile,
// the comment saying where and when it was measured, and the decision that maps the measured
// candidates to exit 0 (decided), 1 (every one missed with confidence) or 4 (inconclusive).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseProfile } from '../../src/profile/parse.js';
import { tunedProfileText } from '../../src/tune/profile-writer.js';
import { changesText, keptText, planWrite } from '../../src/tune/write-guard.js';
import { MARK, measuredComment } from '../../src/tune/measured-comment.js';
import { confidenceOf, decide } from '../../src/tune/decision.js';
import { costOf } from '../../src/tune/cost.js';
import { outcome } from '../../src/tune/rank.js';
import type { Candidate, Probe, TuneConfig } from '../../src/tune/types.js';
import { fakeProbe } from './fake-landscape.js';

const file = path.resolve('profiles/market-hours.yaml');
const text = readFileSync(file, 'utf8');
const profile = parseProfile(text, file);
const oneReplica: TuneConfig = { maxBatchSize: 16, batchWaitMs: 5, replicas: 1, threads: 2 };
const on = { host: 'laptop', cpus: 2, loadAverage: [1.4, 1.2, 0.9], at: new Date('2026-12-07T16:00:00Z') };

test('--write keeps replicas.min and initial at the profile’s own unless --allow-capacity-change; the diff lists what changes', () => {
  assert.equal(profile.replicas.min, 5);
  const guarded = planWrite(profile, oneReplica, false);
  assert.deepEqual(guarded.changes, [
    { field: 'batching.max_batch_size', from: 32, to: 16 },
    { field: 'batching.batch_wait_timeout', from: '10ms', to: '5ms' },
    { field: 'runtime.threads', from: 1, to: 2 },
  ]);
  assert.deepEqual(
    guarded.kept.map((k) => k.field),
    ['replicas.min', 'replicas.initial'],
  );
  assert.equal(
    keptText(guarded.kept),
    "kept replicas.min 5 and replicas.initial 5 (tune chose 1 replica: --allow-capacity-change writes fewer than the profile's own)",
  );
  const out = tunedProfileText(text, profile, oneReplica, file, { allowCapacityChange: false, comment: [] });
  const written = parseProfile(out.text, file);
  assert.deepEqual(written.replicas, profile.replicas);
  assert.equal(written.batching.maxBatchSize, 16);

  const allowed = planWrite(profile, oneReplica, true);
  assert.deepEqual(allowed.kept, []);
  assert.deepEqual(changesText(allowed.changes).slice(3), ['replicas.min: 5 -> 1', 'replicas.initial: 5 -> 1']);
  const cut = parseProfile(
    tunedProfileText(text, profile, oneReplica, file, { allowCapacityChange: true, comment: [] }).text,
    file,
  );
  assert.equal(cut.replicas.min, 1);

  // More replicas than the profile's own are written without the flag (capacity only grows).
  const more = planWrite(profile, { ...oneReplica, replicas: 40 }, false);
  assert.deepEqual(changesText(more.changes).slice(3), [
    'replicas.min: 5 -> 40',
    'replicas.initial: 5 -> 40',
    'replicas.max: 30 -> 40',
  ]);
  assert.deepEqual(changesText([]), ['no field changes']);
});

test('the written profile says where, when and on what figures it was measured; a second tune replaces that comment', () => {
  const rec = {
    ...oneReplica,
    objective: 'cost' as const,
    ratePerSec: 200,
    latency: { p50Ms: 1.234, p95Ms: 3.5, p99Ms: 12.25, maxMs: 30 },
    cost: costOf(oneReplica, profile),
  };
  const report = { objective: 'cost' as const, ratePerSec: 200, windowMs: 1000, maxWindows: 5 };
  const comment = measuredComment(on, report, rec, false, 198.72);
  assert.deepEqual(comment, [
    `${MARK} the cheapest configuration meeting every target at 200 req/s, measured on laptop (2 CPUs, load average 1.40 1.20 0.90) at 2026-12-07T16:00:00.000Z`,
    `${MARK} 1000 ms windows (at most 5); figures only hold on a host like it`,
    `${MARK} decided at 200 req/s (198.7 answered): p50 1.23 ms, p95 3.50 ms, p99 12.3 ms`,
  ]);
  const once = tunedProfileText(text, profile, oneReplica, file, { allowCapacityChange: false, comment }).text;
  const lines = once.split('\n');
  assert.match(lines[0]!, /^# yaml-language-server/, "the file's own opening comment stays first");
  assert.equal(lines.slice(3, 6).join('\n'), comment.join('\n'));
  assert.equal(lines[6], 'name: market-hours');
  const tentative = measuredComment(on, report, rec, true);
  assert.match(tentative.at(-1)!, /NOT decided with confidence \(written with --write-anyway\)/);
  const twice = tunedProfileText(once, parseProfile(once, file), oneReplica, file, {
    allowCapacityChange: false,
    comment: tentative,
  }).text;
  assert.equal(twice.split('\n').filter((l) => l.startsWith(MARK)).length, tentative.length);
  assert.equal(parseProfile(twice, file).name, 'market-hours');
});

function candidate(c: TuneConfig, p: Partial<Probe>): Candidate {
  const result = { ...fakeProbe(c, 100, 200), ...p };
  return { config: c, status: 'measured', probes: [result], result, passed: result.passed, cost: costOf(c, profile) };
}
const cfg = (replicas: number): TuneConfig => ({ ...oneReplica, replicas });
function decision(cands: Candidate[], objective: 'cost' | 'throughput' = 'cost') {
  const out = outcome(cands, objective, 100, 'replica');
  return decide({ objective, windowMs: 1000, maxWindows: 5, ...out });
}

test('a configuration is decided only when stable and 10% inside its targets; unstable everywhere is inconclusive (exit 4), confident misses everywhere exit 1', () => {
  const met = { passed: true, score: 0.7, stable: true };
  const near = { passed: true, score: 0.95, stable: true };
  const unstablePass = { passed: true, score: 0.5, stable: false };
  const clearMiss = { passed: false, score: 1.5, stable: true, missed: ['p99 150ms > 100ms'] };
  const unstableMiss = { passed: false, score: 1.3, stable: false, missed: ['p99 130ms > 100ms'] };
  const wildMiss = { passed: false, score: 3.8, stable: false, missed: ['p99 380ms > 100ms'] };
  const overloaded = {
    passed: false,
    score: 1.05,
    stable: false,
    overloaded: true,
    missed: ['answered 70 of 100 req/s'],
  };

  assert.equal(confidenceOf({ ...fakeProbe(cfg(1), 100, 200), ...met }, 'cost'), 'met');
  assert.equal(confidenceOf({ ...fakeProbe(cfg(1), 100, 200), ...near }, 'cost'), 'unsure');
  assert.equal(confidenceOf({ ...fakeProbe(cfg(1), 100, 200), ...near }, 'throughput'), 'met');
  assert.equal(confidenceOf({ ...fakeProbe(cfg(1), 100, 200), ...wildMiss }, 'cost'), 'missed');
  assert.equal(confidenceOf({ ...fakeProbe(cfg(1), 100, 200), ...overloaded }, 'cost'), 'missed');

  assert.deepEqual(decision([candidate(cfg(1), met), candidate(cfg(2), clearMiss)]), { decision: 'decided' });
  // The run: every row unstable, the cheapest "passed" anyway.
  const allUnstable = decision([candidate(cfg(1), unstablePass), candidate(cfg(2), unstableMiss)]);
  assert.equal(allUnstable.decision, 'inconclusive');
  assert.match(
    allUnstable.advice!,
    /^inconclusive: the recommendation, batch 16 within 5ms, 1 replica x 2 threads, is unsure: unstable \(3 windows\); 2 of 2 unstable; longer windows \(--window 2s --max-windows 10\) or a quieter host would decide it$/,
  );
  assert.equal(decision([candidate(cfg(1), near)]).decision, 'inconclusive');
  const noneSure = decision([candidate(cfg(1), unstableMiss), candidate(cfg(2), clearMiss)]);
  assert.equal(noneSure.decision, 'inconclusive');
  assert.match(noneSure.advice!, /1 of 2 measured configurations neither met nor missed with confidence/);
  assert.deepEqual(
    decision([candidate(cfg(1), clearMiss), candidate(cfg(2), wildMiss), candidate(cfg(3), overloaded)]),
    {
      decision: 'missed',
    },
  );
  assert.deepEqual(decision([]), { decision: 'missed' });
});
