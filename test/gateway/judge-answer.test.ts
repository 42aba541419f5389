// Tests of the pure judgeAnswer (gateway): every status class the gateway tells apart, from each kind
// of upstream, in one table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeAnswer, type AnswerFrom, type AnswerVerdict } from '../../src/gateway/judge-answer.js';

const replica: AnswerFrom = { kind: 'replica', version: undefined };
const versioned: AnswerFrom = { kind: 'replica', version: '2' };
const external: AnswerFrom = { kind: 'external', version: undefined };
const fallback: AnswerFrom = { kind: 'fallback', version: undefined };

type Row = [what: string, statuses: number[], from: AnswerFrom[], verdict: Partial<AnswerVerdict>];
const pass = { interim: false, retry: undefined, health: 'healthy', timed: false, cacheable: false } as const;

const rows: Row[] = [
  [
    '1xx is informational: the real answer follows',
    [100, 102, 103],
    [replica, versioned, external, fallback],
    { interim: true },
  ],
  [
    "a replica's 200 teaches the service time and may be cached",
    [200],
    [replica, versioned],
    { ...pass, timed: true, cacheable: true },
  ],
  [
    "another server's 200 teaches the service time, is never cached",
    [200],
    [external, fallback],
    { ...pass, timed: true },
  ],
  [
    'other 2xx, 3xx and 4xx pass on and show the upstream is healthy',
    [201, 204, 301, 304, 400, 401, 404, 408, 413, 422, 429, 499],
    [replica, versioned, external, fallback],
    pass,
  ],
  [
    "504 (the upstream's budget ran out) passes on, never a fault",
    [504],
    [replica, versioned, external, fallback],
    pass,
  ],
  [
    '503 is a shed: retried elsewhere, neither fault nor health',
    [503],
    [replica, versioned, external, fallback],
    { ...pass, retry: 'shed', health: 'busy' },
  ],
  [
    "a replica's own 5xx outside a rollout is a fault passed on",
    [500, 501, 502, 505, 599],
    [replica],
    { ...pass, health: 'fault' },
  ],
  [
    "a replica's own 5xx in a rollout: retried on the other version",
    [500, 502, 599],
    [versioned],
    { ...pass, retry: 'version', health: 'fault' },
  ],
  [
    "an external server's 5xx is retried on a replica",
    [500, 502, 599],
    [external],
    { ...pass, retry: 'shed', health: 'fault' },
  ],
  ["the fallback's 5xx is the last word: passed on", [500, 502, 599], [fallback], { ...pass, health: 'fault' }],
];

test('judgeAnswer: each status class from each kind of upstream', () => {
  let checked = 0;
  for (const [what, statuses, froms, expected] of rows) {
    for (const status of statuses) {
      for (const from of froms) {
        const got = judgeAnswer(status, from);
        const label = `${what}: ${status} from ${from.kind}${from.version === undefined ? '' : '@' + from.version}`;
        for (const [field, value] of Object.entries(expected)) {
          assert.equal(got[field as keyof AnswerVerdict], value, `${label}: ${field}`);
        }
        checked++;
      }
    }
  }
  assert.ok(checked >= 80, `checked ${checked} answers`);
});

test('judgeAnswer allocates nothing: one verdict object per class', () => {
  assert.equal(judgeAnswer(200, replica), judgeAnswer(200, versioned));
  assert.equal(judgeAnswer(404, replica), judgeAnswer(301, external));
  assert.ok(Object.isFrozen(judgeAnswer(503, replica)));
});
