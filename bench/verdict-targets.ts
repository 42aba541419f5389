// Benchmark (issue 24, Targets): are `serve bench`'s verdicts right on a noisy machine? Against a
// stand-in server with log-normal service times (median 20 ms, sigma 0.6), with a background
// process keeping one core about half busy, at 200 req/s:
//   aa        --against the same server, N runs: at most 1 in 20 may say regression
//   power     a candidate 25% slower at every percentile: regression in at least 19 of 20
//   gates     --p99 with the true p99 10% under the target (never missed) and 25% over (missed >= 19/20)
//   fidelity  the server freezes 1 s mid-run: figures within 15% of what the schedule implies, or unreliable
// Results are rewritten after every run (bench/results/verdict-<target>.{json,md}), so a run cut
// short still records how many runs completed. Each run's load average is recorded beside it.
// Usage: npm run build && node dist/bench/verdict-targets.js --target aa|power|gates|fidelity
//          [--runs 20] [--duration-s 20] [--rps 200] [--no-background]
import { parseArgs } from 'node:util';
import { machine, writeResults } from './replica-harness.js';
import { startLogNormalServer, trueQuantileMs, type LogNormalOptions, type ServerRecord } from './lognormal-server.js';
import { loadAverages, serveBenchJson, startHalfBusyCore, type CliRun } from './verdict-harness.js';
import { impliedPercentilesMs, observedPercentilesMs } from './verdict-fidelity.js';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'aa' },
    runs: { type: 'string' },
    'duration-s': { type: 'string', default: '20' },
    rps: { type: 'string', default: '200' },
    'no-background': { type: 'boolean', default: false },
    /** First run's number (and seed): a later batch continues an earlier one under its own --tag. */
    first: { type: 'string', default: '1' },
    tag: { type: 'string' },
  },
});
const target = values.target!;
const runs = Number(values.runs ?? (target === 'fidelity' ? 5 : 20));
const first = Number(values.first);
const name = `verdict-${target}${values.tag ? `-${values.tag}` : ''}`;
const durationS = Number(values['duration-s']);
const rps = Number(values.rps);
const WARMUP_S = 2;
const base: LogNormalOptions = { medianMs: 20, sigma: 0.6 };
const common = ['--rps', String(rps), '--duration', `${durationS}s`, '--warmup', `${WARMUP_S}s`];

interface Row {
  run: number;
  kind: string;
  code: number | null;
  verdict: unknown;
  detail: unknown;
  loadAverage1m: number;
  wallS: number;
}

const rows: Row[] = [];
const startedAt = new Date().toISOString();
const loadAtStart = loadAverages();

function row(run: number, kind: string, r: CliRun, detail: unknown): Row {
  const verdict =
    (r.json?.comparison as { verdict?: string } | undefined)?.verdict ?? r.json?.verdict ?? r.stderr.slice(-300);
  return { run, kind, code: r.code, verdict, detail, loadAverage1m: r.loadAverage1m, wallS: r.wallMs / 1000 };
}

function tally(kind?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows)
    if (kind === undefined || r.kind === kind) out[String(r.verdict)] = (out[String(r.verdict)] ?? 0) + 1;
  return out;
}

async function save(done: boolean): Promise<void> {
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const loads = rows.map((r) => r.loadAverage1m);
  const md = [
    `# ${name} (issue 24)`,
    '',
    `${done ? 'Complete' : 'In progress'}: ${target === 'gates' ? `${rows.length / 2} of ${runs} pairs (an under and an over run each)` : `${rows.length} of ${runs} runs`}, ` +
      `${durationS} s at ${rps} req/s, warmup ${WARMUP_S} s, ${values['no-background'] ? 'no background load' : 'one core about half busy in the background'}; ` +
      `stand-in server log-normal median ${base.medianMs} ms, sigma ${base.sigma}.`,
    `Started ${startedAt}, load average at start ${loadAtStart}; 1-minute load during the runs ` +
      `${loads.length ? `${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)}` : '-'}. ${machine()}.`,
    '',
    ...kinds.map((k) => `- ${k}: ${JSON.stringify(tally(k))}`),
    `- exit codes: ${JSON.stringify(rows.reduce<Record<string, number>>((a, r) => ({ ...a, [String(r.code)]: (a[String(r.code)] ?? 0) + 1 }), {}))}`,
    '',
    '| run | kind | exit | verdict | load 1m | detail |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.run} | ${r.kind} | ${r.code} | ${String(r.verdict)} | ${r.loadAverage1m.toFixed(2)} | ${JSON.stringify(r.detail)} |`,
    ),
    '',
  ].join('\n');
  await writeResults(name, { target, done, runs, durationS, rps, startedAt, loadAtStart, server: base, rows }, md);
}

function comparisonDetail(r: CliRun): unknown {
  const c = r.json?.comparison as
    { percentiles?: Record<string, { ratio: number; ciLow: number; ciHigh: number; mde: number | null }> } | undefined;
  if (!c?.percentiles) return r.stderr.slice(-200);
  return Object.fromEntries(
    Object.entries(c.percentiles).map(([k, v]) => [
      k,
      `${v.ratio.toFixed(3)} [${v.ciLow.toFixed(3)}-${v.ciHigh.toFixed(3)}] mde ${v.mde === null ? '-' : v.mde.toFixed(3)}`,
    ]),
  );
}

function p99Detail(r: CliRun, limitMs: number): unknown {
  const checks = (r.json?.gates as { checks?: Array<Record<string, unknown>> } | undefined)?.checks ?? [];
  const c = checks.find((x) => x.metric === 'p99');
  const audit = r.json?.audit as { unreliable?: boolean } | undefined;
  return c
    ? {
        limitMs: +limitMs.toFixed(1),
        p99: c.actual,
        ciLow: c.ciLow,
        ciHigh: c.ciHigh,
        outcome: c.outcome,
        unreliable: audit?.unreliable,
      }
    : r.stderr.slice(-200);
}

async function main(): Promise<void> {
  const background = values['no-background'] ? undefined : startHalfBusyCore();
  const servers: Array<{ stop(): Promise<void> }> = [];
  try {
    if (target === 'aa' || target === 'power') {
      const baseline = await startLogNormalServer(base);
      servers.push(baseline);
      const candidate = target === 'aa' ? baseline : await startLogNormalServer({ ...base, scale: 1.25 });
      if (candidate !== baseline) servers.push(candidate);
      for (let i = first; i < first + runs; i++) {
        const r = await serveBenchJson([
          '--url',
          candidate.url,
          '--against',
          baseline.url,
          '--seed',
          String(i),
          ...common,
        ]);
        rows.push(row(i, target, r, comparisonDetail(r)));
        await save(false);
      }
    } else if (target === 'gates') {
      const server = await startLogNormalServer(base);
      servers.push(server);
      const p99 = trueQuantileMs(base, 0.99);
      for (let i = first; i < first + runs; i++) {
        for (const [kind, limitMs] of [
          ['10% under', p99 / 0.9],
          ['25% over', p99 / 1.25],
        ] as const) {
          const r = await serveBenchJson([
            '--url',
            server.url,
            '--p99',
            `${limitMs.toFixed(2)}ms`,
            '--seed',
            String(i),
            ...common,
          ]);
          rows.push(row(i, kind, r, p99Detail(r, limitMs)));
          await save(false);
        }
      }
    } else if (target === 'fidelity') {
      const freeze = { ...base, freezeAtRequest: Math.round(rps * (WARMUP_S + durationS / 2)), freezeMs: 1000 };
      const implied = impliedPercentilesMs(freeze, rps, WARMUP_S, durationS);
      const recordTo = path.join(os.tmpdir(), `serve-fidelity-${process.pid}.json`);
      for (let i = first; i < first + runs; i++) {
        const server = await startLogNormalServer({ ...freeze, recordTo });
        // Targets at twice what the schedule implies: a clean verdict would be a pass.
        const r = await serveBenchJson([
          '--url',
          server.url,
          '--seed',
          String(i),
          ...common,
          '--p50',
          `${(2 * implied.p50).toFixed(1)}ms`,
          '--p95',
          `${(2 * implied.p95).toFixed(1)}ms`,
          '--p99',
          `${(2 * implied.p99).toFixed(1)}ms`,
        ]);
        await server.stop();
        // The reference: what the server itself did against the schedule (its freeze's real length
        // and the reading of the queued requests after it included); the model's figures beside it.
        const observed = observedPercentilesMs(
          JSON.parse(readFileSync(recordTo, 'utf8')) as ServerRecord,
          rps,
          WARMUP_S,
        );
        rmSync(recordTo, { force: true });
        const lat = r.json?.latency as { p50Ms: number; p95Ms: number; p99Ms: number } | undefined;
        const offFrom = (ref: { p50: number; p95: number; p99: number }) =>
          lat && { p50: lat.p50Ms / ref.p50 - 1, p95: lat.p95Ms / ref.p95 - 1, p99: lat.p99Ms / ref.p99 - 1 };
        const off = offFrom(observed);
        const within = off !== undefined && Object.values(off).every((d) => Math.abs(d) <= 0.15);
        const unreliable = r.json?.verdict === 'unreliable';
        const pct = (o: Record<string, number> | undefined) =>
          o && Object.fromEntries(Object.entries(o).map(([k, v]) => [k, `${(v * 100).toFixed(1)}%`]));
        const ms = (o: { p50: number; p95: number; p99: number }) => ({
          p50: +o.p50.toFixed(1),
          p95: +o.p95.toFixed(1),
          p99: +o.p99.toFixed(1),
        });
        rows.push(
          row(i, 'freeze 1 s', r, {
            server: {
              ...ms(observed),
              requests: observed.requests,
              freezeMs: +observed.freezeMs.toFixed(1),
              backlogDrainMs: +observed.backlogDrainMs.toFixed(1),
            },
            measured: lat && { p50: lat.p50Ms, p95: lat.p95Ms, p99: lat.p99Ms },
            off: pct(off),
            model: ms(implied),
            offModel: pct(offFrom(implied)),
            ok: within || unreliable,
          }),
        );
        await save(false);
      }
    } else throw new Error(`--target: expected aa, power, gates or fidelity, got "${target}"`);
    await save(true);
  } finally {
    for (const s of servers) await s.stop();
    await background?.stop();
  }
}

await main();
