// The Markdown of the data-plane survival benchmark (bench, issue 26): a header (what ran, the
// host, the load average before and after), each target with the runs that met it, and a table per
// scenario, one row a run. Rows are the scenarios' JSON rows as written to the .json file.
type Row = Record<string, unknown>;

export interface Results {
  label: string;
  command: string;
  /** The load client's connections. */
  connections: number;
  startedAt: string;
  host: string;
  cpus: number;
  node: string;
  loadAverageBefore: number[];
  loadAverageAfter: number[] | null;
  runs: { a: Row[]; b: Row[]; c: Row[] };
}

const num = (r: Row, k: string): number => (typeof r[k] === 'number' ? (r[k] as number) : NaN);
const loads = (l: number[] | null) => (l ? l.map((x) => x.toFixed(2)).join(' / ') : 'not yet (run in progress)');
/** "3 (bad_response 2, timeout 1)" or "0". */
function failures(r: Row): string {
  const by = Object.entries((r.byClass as Record<string, number> | undefined) ?? {});
  return `${num(r, 'failed')}${by.length ? ` (${by.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`;
}
function sockets(r: Row): string {
  const by = Object.entries((r.socketErrors as Record<string, number> | undefined) ?? {});
  return by.length ? by.map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
}
const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'none');

/** "met in 2 of 3 runs" over the rows without an error (those with one counted apart). */
function met(rows: Row[], ok: (r: Row) => boolean): string {
  const done = rows.filter((r) => r.error === undefined);
  const failed = rows.length - done.length;
  const n = done.filter(ok).length;
  const verdict = done.length === 0 ? 'NOT RUN' : n === done.length ? 'MET' : 'NOT MET';
  return `**${verdict}** in ${n} of ${done.length} runs${failed ? ` (${failed} more did not complete)` : ''}`;
}

export const targets = {
  a: [
    [
      '0 failed requests through the controller kill (and 0 refused)',
      (r: Row) => num(r, 'failed') === 0 && num(r, 'refused') === 0,
    ],
    [
      'serve up adopts the same holder, gateway and replica pids in under 2 s (adoption as the controller logs it)',
      (r: Row) => r.samePids === true && r.adopted === true && num(r, 'adoptedMs') < 2000,
    ],
    [
      'every process of the cluster (both controllers, holder, gateway, replicas, their process groups) gone when `serve down` returns',
      (r: Row) =>
        r.downCode === 0 && (r.leftAfterDown as unknown[]).length === 0 && (r.groupsLeft as unknown[]).length === 0,
    ],
  ],
  b: [
    [
      '0 failed requests through 10 planned restarts',
      (r: Row) => num(r, 'failed') === 0 && num(r, 'restartsOk') === 10,
    ],
  ],
  c: [
    ['0 connections refused after kill -9 of the serving gateway', (r: Row) => num(r, 'refused') === 0],
    [
      'failed requests at most the in-flight count at the kill',
      (r: Row) => num(r, 'failed') <= num(r, 'inFlightAtKill'),
    ],
    [
      'serving again within 1 s (first answer to a request sent after the kill)',
      (r: Row) => num(r, 'firstOkAfterMs') < 1000,
    ],
  ],
} as const;

type Col = [string, (r: Row) => string];
const str =
  (k: string): ((r: Row) => string) =>
  (r) =>
    String(r[k]);
const RUN: Col = ['run', str('run')];
const SENT: Col = ['sent', str('sent')];
const OK: Col = ['ok', str('ok')];
const FAILED: Col = ['failed', failures];
const REFUSED: Col = ['refused', str('refused')];
const SOCKETS: Col = ['socket errors', sockets];
const LATENCY: Col = ['p99 / max ms', (r) => `${num(r, 'p99Ms')} / ${num(r, 'maxMs')}`];
const LOAD: Col = ['load 1m', (r) => num(r, 'loadAverage1m').toFixed(1)];

/** A table, one row a run; a run that did not complete gets its error instead. */
function table(rows: Row[], cols: Col[]): string[] {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(cols.map((c) => c[0])),
    `|${cols.map(() => '---').join('|')}|`,
    ...rows.map((r) =>
      line(r.error !== undefined ? [String(r.run), `error: ${String(r.error)}`] : cols.map((c) => c[1](r))),
    ),
  ];
}

const A_COLS: Col[] = [
  RUN,
  SENT,
  OK,
  FAILED,
  REFUSED,
  SOCKETS,
  ['in flight at kill', str('inFlightAtKill')],
  ['adoption', (r) => ms(num(r, 'adoptedMs'))],
  ['serve up to status', (r) => ms(num(r, 'upToStatusMs'))],
  [
    'same pids, adopted',
    (r) =>
      `${r.samePids ? 'same' : `DIFFERENT (${String(r.pidsBefore)} -> ${String(r.pidsAfter)})`}, ` +
      (r.adopted ? 'adopted' : 'NOT adopted'),
  ],
  ['serve down', (r) => `exit ${String(r.downCode)} in ${ms(num(r, 'downMs'))}`],
  ['left after down', (r) => [...(r.leftAfterDown as number[]), ...(r.groupsLeft as string[])].join('; ') || 'none'],
  LOAD,
];
/** "8 s: 17, 9 s: 47" (seconds from the load's start, by send time) or "none". */
const failedBySecond: Col = [
  'failed by second sent',
  (r) =>
    (r.perSecond as Array<{ s: number; failed: number }>)
      .filter((x) => x.failed > 0)
      .map((x) => `${x.s} s: ${x.failed}`)
      .join(', ') || 'none',
];

const B_COLS: Col[] = [
  RUN,
  SENT,
  OK,
  FAILED,
  ['near a restart', str('failedNearFaults')],
  REFUSED,
  SOCKETS,
  ['restarts done (exit 0; by signal: handovers logged)', (r) => `${String(r.restartsOk)} of 10`],
  [
    'restart command ms (min / max)',
    (r) => {
      const walls = (r.restarts as Array<{ ms: number }>).map((x) => x.ms);
      return `${Math.min(...walls)} / ${Math.max(...walls)}`;
    },
  ],
  LATENCY,
  failedBySecond,
  LOAD,
];
const C_COLS: Col[] = [
  RUN,
  SENT,
  OK,
  FAILED,
  [
    'sent after (last, after the kill)',
    (r) =>
      `${String(r.failedSentAfterKill)}${r.failedSentAfterKill ? ` (${ms(num(r, 'lastFailedSentAfterKillMs'))})` : ''}`,
  ],
  ['in flight at kill', str('inFlightAtKill')],
  REFUSED,
  SOCKETS,
  ['first answer', (r) => ms(num(r, 'firstOkAfterMs'))],
  ['longest gap', (r) => ms(num(r, 'longestGapMs'))],
  [
    'new pid, same holder, restarts',
    (r) =>
      `${String(r.killedPid)} -> ${String(r.newGatewayPid)}, ${r.sameHolder ? 'same holder' : 'NEW holder'}, ` +
      String(r.gatewayRestartsCounted),
  ],
  LATENCY,
  LOAD,
];

const intro = (connections: number) =>
  'Each scenario on a fresh `serve up --profile local --json` (foreground; the shipped profile: 2 replicas of the ' +
  'demo model of one ONNX Runtime thread each, the gateway behind its socket holder, `request_timeout: 1s`) with ' +
  '`SERVE_PORT=0`, a temporary registry and state directory. Load: open loop from the benchmark process on the ' +
  `project's load client (\`InferClient\`: up to ${connections} keep-alive connections, 5 s client timeout, JSON bodies as ` +
  '`serve bench` makes them), after 2 s of warmup at the same rate that is not counted. *Failed* is every request ' +
  "not answered 2xx, by the client's error class (`connection`: no connection could be made; `bad_response`: " +
  'the connection closed or broke before the answer; `timeout`; `http_NNN`). *Refused* is the number of ' +
  'ECONNREFUSED socket errors on connections to the gateway port; *socket errors* lists every code seen. ' +
  "*In flight at kill* is the generator's outstanding requests (sent, not ended) at the kill instant: an " +
  "upper bound of what was inside the gateway (it includes requests in the kernel's buffers and at the replicas).";

const SECTIONS = {
  a: [
    'kill -9 of the controller at 200 req/s for 20 s',
    'Killed 5 s into the load; `serve up` again (same profile and state directory) 12 s in, under the load; ' +
      '`serve down` after the load. *Adoption* is the time the new controller logs ("adopted ... in N ms"); ' +
      "*serve up to status* is from its spawn to the status it prints once ready (Node's start included); " +
      '*same pids* compares holder, gateway and replica pids before the kill with `serve status --json` after; ' +
      '*left* is what was still alive (zombies excluded) when `serve down` returned.',
    A_COLS,
  ],
  b: [
    '10 planned gateway restarts at 300 req/s',
    'Each `serve restart gateway --state-dir ...` as a child process (with `--restart-via signal`: SIGUSR2 to ' +
      'the holder, not waited for; the holder ignores one that comes during a restart in progress, so what it did ' +
      'is counted from its handovers in `gateway.log`), one every 1.5 s (or as soon as the previous ' +
      'one returned); load from 1 s before the first to 2 s after the last. *Near a restart*: failed requests sent ' +
      "within 2 s of a restart command's start or end. Latency is from send to answer. The .json file has each " +
      'scenario second by second (`perSecond`: sent, answered, failed, slowest answer, by send time).',
    B_COLS,
  ],
  c: [
    'kill -9 of the serving gateway process at 300 req/s',
    "Killed (status's `gateway.pid`, not the holder) 4 s into 10 s of load. *Sent after*: failed requests sent " +
      'after the kill instant (written on a killed connection before the client saw it close), and how long ' +
      'after the kill the last of them was sent. *First answer* is from the kill to the first answer to a request sent after it; ' +
      '*longest gap* the longest stretch without any answer from 1 s before to 5 s after the kill. *New pid* is ' +
      '`serve status --json` afterwards.',
    C_COLS,
  ],
} as const;

export function render(res: Results): string {
  const out: string[] = [`# data-plane-survival (issue 26)`, ''];
  if (res.label) out.push(`**${res.label}**`, '');
  out.push(
    `Command: \`npm run build && ${res.command}\`. Started ${res.startedAt}.`,
    '',
    `Host: ${res.host} (${res.cpus} CPUs, node ${res.node}). Load average (1 / 5 / 15 min) before: ` +
      `${loads(res.loadAverageBefore)}; after: ${loads(res.loadAverageAfter)}.`,
    '',
    intro(res.connections),
    '',
    '## Targets',
    '',
  );
  const ran = (['a', 'b', 'c'] as const).filter((s) => res.runs[s].length > 0);
  for (const s of ran) for (const [what, ok] of targets[s]) out.push(`- (${s}) ${what}: ${met(res.runs[s], ok)}`);
  for (const s of ran) {
    const [title, notes, cols] = SECTIONS[s];
    out.push('', `## (${s}) ${title}`, '', notes, '', ...table(res.runs[s], cols));
  }
  return out.join('\n') + '\n';
}
