// Cross-field rules of a profile (control plane): relations between fields that each look fine alone
// (min <= initial <= max, probe timeout < period, ordered percentiles ...). Pure over a walk result.
import { formatValue, type Node, type Section } from './fields/fields.js';
import type { ProfileProblem } from './problems.js';
import type { ProfilePath } from './schema.js';
import type { Walked } from './walk.js';
import { nestWalked } from './walk-context.js';
import { checkMigration } from './fields/migration-fields.js';

type Relation = 'lt' | 'le';

/**
 * `a` must be less than (lt) or at most (le) `b`. The problem is reported on `a` when the user wrote
 * it, otherwise on `b`; a rule whose fields are invalid or unset is skipped (they were reported already).
 */
interface Rule {
  a: ProfilePath;
  rel: Relation;
  b: ProfilePath;
  why?: string;
}

const percentiles: readonly ProfilePath[] = ['slo.p50', 'slo.p90', 'slo.p95', 'slo.p99', 'slo.p999', 'slo.max'];

const rules: Rule[] = [
  { a: 'replicas.min', rel: 'le', b: 'replicas.max' },
  { a: 'replicas.initial', rel: 'le', b: 'replicas.max' },
  { a: 'replicas.min', rel: 'le', b: 'replicas.initial' },
  { a: 'health.timeout', rel: 'lt', b: 'health.period', why: 'a probe must end before the next one starts' },
  {
    a: 'batching.batch_wait_timeout',
    rel: 'lt',
    b: 'slo.p99',
    why: 'a request that waits the whole batch window must still meet p99',
  },
  {
    a: 'batching.batch_wait_timeout',
    rel: 'lt',
    b: 'gateway.request_timeout',
    why: 'otherwise requests time out while a batch fills',
  },
  {
    a: 'batching.max_batch_size',
    rel: 'le',
    b: 'batching.max_queued_requests',
    why: 'the queue must hold a full batch',
  },
  { a: 'restart.initial_backoff', rel: 'le', b: 'restart.max_backoff' },
  {
    a: 'autoscaling.metrics_interval',
    rel: 'le',
    b: 'autoscaling.look_back',
    why: 'the window must hold at least one sample',
  },
  { a: 'resources.cpus', rel: 'le', b: 'local.cpus', why: 'one replica must fit on this host' },
  { a: 'resources.memory', rel: 'le', b: 'local.memory', why: 'one replica must fit on this host' },
  { a: 'resources.gpus', rel: 'le', b: 'local.gpus', why: 'one replica must fit on this host' },
  { a: 'slo.throughput.minimum', rel: 'le', b: 'slo.throughput.target' },
];

/** Every cross-field problem in `w`, located at the field the user wrote. */
export function checkRules(w: Walked, tree: Section, file: string): ProfileProblem[] {
  const problems: ProfileProblem[] = [];
  const report = (path: string, message: string) => {
    const at = w.positions.get(path) ?? { line: 1, col: 1 };
    problems.push({ file, line: at.line, col: at.col, path, message });
  };
  const usable = (p: string) => !w.invalid.has(p) && typeof w.values.get(p) === 'number';
  const show = (p: string) =>
    `${p} (${formatValue(unitOf(tree, p), w.values.get(p))}` + `${w.given.has(p) ? '' : ', the default'})`;

  const ordered: Rule[] = [];
  const present = percentiles.filter((p) => w.values.has(p));
  for (let i = 1; i < present.length; i++)
    ordered.push({ a: present[i - 1]!, rel: 'le', b: present[i]!, why: 'percentile targets must not decrease' });

  for (const r of [...rules, ...ordered]) {
    if (!usable(r.a) || !usable(r.b) || (!w.given.has(r.a) && !w.given.has(r.b))) continue;
    const a = w.values.get(r.a) as number;
    const b = w.values.get(r.b) as number;
    if (r.rel === 'lt' ? a < b : a <= b) continue;
    const why = r.why ? `: ${r.why}` : '';
    if (w.given.has(r.a))
      report(
        r.a,
        `got ${formatValue(unitOf(tree, r.a), a)}, expected ` +
          `${r.rel === 'lt' ? 'less than' : 'at most'} ${show(r.b)}${why}`,
      );
    else
      report(
        r.b,
        `got ${formatValue(unitOf(tree, r.b), b)}, expected ` +
          `${r.rel === 'lt' ? 'more than' : 'at least'} ${show(r.a)}${why}`,
      );
  }

  const gpusPath: ProfilePath = 'resources.gpus';
  const gpus = w.values.get(gpusPath);
  if (w.given.has(gpusPath) && typeof gpus === 'number' && gpus > 1 && !Number.isInteger(gpus)) {
    report(gpusPath, `got ${gpus}, expected a fraction of one GPU (at most 1) or a whole number of GPUs`);
  }
  problems.push(...checkHosts(w, file), ...checkMigration(w, file));
  return problems;
}

type HostItem = { name: string; ssh?: string; cpus?: number; memory?: number; gpus?: number; [k: string]: unknown };

/** Names are unique, at most one host is this machine, and SSH-only fields are not set on it. */
function checkHosts(w: Walked, file: string): ProfileProblem[] {
  // Hosts left out mean this machine alone; a host already reported wrongly is not judged again.
  if (!w.positions.has('hosts') || [...w.invalid].some((p) => p === 'hosts' || p.startsWith('hosts['))) return [];
  const hosts = (nestWalked(w.values).hosts as HostItem[] | undefined) ?? [];
  const problems: ProfileProblem[] = [];
  const report = (path: string, message: string) => {
    const at = w.positions.get(path) ?? w.positions.get('hosts') ?? { line: 1, col: 1 };
    problems.push({ file, line: at.line, col: at.col, path, message });
  };
  if (hosts.length === 0)
    report('hosts', 'is an empty list, expected at least one host (or leave hosts out for this machine alone)');
  const firstAt = new Map<string, number>();
  let localAt: number | undefined;
  hosts.forEach((h, i) => {
    const seen = firstAt.get(h.name);
    if (seen !== undefined)
      report(`hosts[${i}].name`, `"${h.name}" is already the name of hosts[${seen}], expected a name of its own`);
    else firstAt.set(h.name, i);
    if (h.ssh !== undefined) return;
    if (localAt !== undefined)
      report(
        `hosts[${i}]`,
        `has no ssh, like hosts[${localAt}]: only one host can be this machine; give it ` + `ssh: DESTINATION`,
      );
    localAt ??= i;
    for (const k of ['address', 'workdir', 'registry', 'node']) {
      if (w.given.has(`hosts[${i}].${k}`))
        report(
          `hosts[${i}].${k}`,
          `is only for hosts reached over SSH, and hosts[${i}] has no ssh: remove it or ` + `add ssh: DESTINATION`,
        );
    }
    for (const [k, local] of [
      ['cpus', 'local.cpus'],
      ['memory', 'local.memory'],
      ['gpus', 'local.gpus'],
    ] as const) {
      if (h[k] !== undefined && w.given.has(local))
        report(`hosts[${i}].${k}`, `is set here and in ${local}: set this machine's capacity in one place`);
    }
  });
  return problems;
}

function unitOf(tree: Section, path: string): string {
  let node: Node | undefined = tree;
  for (const k of path.split('.')) node = node?.kind === 'section' ? node.fields[k] : undefined;
  return node?.kind === 'leaf' ? node.unit : '';
}

/** The rules checked in code rather than by the table above, in words (for the profile reference). */
const otherRuleTexts: readonly string[] = [
  '`resources.gpus` is a fraction of one GPU (at most 1) or a whole number',
  '`hosts` is not an empty list; host names are unique; at most one host has no ' +
    '`ssh` (this machine), and it sets none of `address`, `workdir`, `registry`, `node`',
  "this machine's capacity is set in one place: not both " +
    '`hosts[].cpus`/`memory`/`gpus` of the host without `ssh` and ' +
    '`local.cpus`/`memory`/`gpus`',
  '`gateway.external[].url`, `gateway.fallback.url` and `gateway.shadow.url` are ' +
    'http:// or https:// base URLs (no path)',
  'the `gateway.external` weights add up to at most 100% (the replicas take the rest)',
  '`gateway.shadow.share` needs `gateway.shadow.url`',
];

/**
 * Every cross-field rule in words, one line each: the relations of the table (with why), the
 * percentile order, then the rules checked in code. The profile reference renders these.
 */
export function profileRuleTexts(): string[] {
  const rel = (r: Relation) => (r === 'lt' ? '<' : '<=');
  const table = rules.map((r) => `\`${r.a}\` ${rel(r.rel)} \`${r.b}\`${r.why ? ` (${r.why})` : ''}`);
  const order =
    `latency targets do not decrease: ` + `${percentiles.map((p) => `\`${p}\``).join(' <= ')} (those written)`;
  return [...table, order, ...otherRuleTexts];
}
