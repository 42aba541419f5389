// `serve validate` (cli): checks a profile without starting anything and prints what it resolves to.
import type { Command } from 'commander';
import { UserError } from '../common/errors.js';
import { redactUrl } from '../common/redact-url.js';
import { formatBytes, formatMs } from '../common/units.js';
import { formatDuration } from '../profile/fields/fields.js';
import { listProfiles } from '../profile/load.js';
import { activeProfile, nextChange } from '../profile/schedule/schedule.js';
import { loadProfileOrSchedule, type LoadedSchedule } from '../profile/schedule/load.js';
import { displayName } from '../profile/display-name.js';
import { ProfileError, formatProblem, sortProblems } from '../profile/problems.js';
import { profileJsonSchemaText } from '../profile/json-schema.js';
import type { Profile } from '../profile/types.js';
import { enforceCertificates } from './certificates.js';
import { action } from './errors.js';
import { printJson } from './output.js';
import { hostFitNote } from './up/host-fit.js';

interface Flags {
  json?: boolean;
  schema?: boolean;
  list?: boolean;
}

async function validate(ref: string | undefined, flags: Flags): Promise<number> {
  if (flags.schema) {
    process.stdout.write(profileJsonSchemaText());
    return 0;
  }
  if (flags.list) {
    const entries = await listProfiles();
    if (flags.json) printJson(entries);
    else
      for (const e of entries)
        process.stdout.write(
          `${e.name.padEnd(16)} ${displayName(e.path, process.cwd())}` + `${e.shipped ? '  (shipped)' : ''}\n`,
        );
    return 0;
  }
  if (ref === undefined)
    throw new UserError(
      'serve validate needs a profile: a name such as "local" or the path of a .yaml ' + 'file (see --list)',
    );
  try {
    const loaded = await loadProfileOrSchedule(ref);
    const profiles = loaded.kind === 'profile' ? [loaded.profile] : Object.values(loaded.schedule.profiles);
    enforceCertificates(profiles, (line) => process.stderr.write(`${line}\n`));
    // On stderr, so --json stays data and the exit code stays 0.
    const notes = profiles.flatMap((p) => {
      const note = hostFitNote(p);
      return note === undefined ? [] : [`serve: ${loaded.kind === 'profile' ? '' : `profile "${p.name}": `}${note}\n`];
    });
    if (loaded.kind === 'profile') {
      if (flags.json) printJson(shownProfile(loaded.profile));
      else process.stdout.write(renderProfileSummary(loaded.profile, process.cwd()).join('\n') + '\n');
      process.stderr.write(notes.join(''));
      return 0;
    }
    if (flags.json)
      printJson({
        kind: 'schedule',
        ...loaded.schedule,
        profiles: Object.fromEntries(Object.entries(loaded.schedule.profiles).map(([k, p]) => [k, shownProfile(p)])),
      });
    else process.stdout.write(renderScheduleSummary(loaded.schedule, process.cwd(), new Date()).join('\n') + '\n');
    // Warnings do not fail validation (exit 0): the schedule loads and runs as written.
    for (const w of sortProblems(loaded.schedule.warnings))
      process.stderr.write(`serve: warning: ${formatProblem(w)}\n`);
    process.stderr.write(notes.join(''));
    return 0;
  } catch (err) {
    // Machines get the problems as data on stdout; people still get the lines on stderr.
    if (flags.json && err instanceof ProfileError) printJson({ ok: false, problems: err.problems });
    throw err;
  }
}

/** The profile for printing: each token by name and quota only (a digest of a weak token can be brute-forced). */
function withoutDigests(p: Profile): Profile {
  const auth = p.gateway.auth;
  if (auth === undefined) return p;
  const tokens = auth.tokens.map(({ sha256: _hidden, ...shown }) => shown) as typeof auth.tokens;
  return { ...p, gateway: { ...p.gateway, auth: { ...auth, tokens } } };
}

/**
 * The profile as printed (`--json` too): tokens without digests, a Redis URL's password replaced (it
 * may come from ${REDIS_URL}), env: by names only (a value may be a secret passed on purpose).
 */
function shownProfile(p: Profile): Profile {
  const q = withoutEnvValues(withoutDigests(p));
  const r = q.cache.redis;
  return r === undefined ? q : { ...q, cache: { ...q.cache, redis: { ...r, url: redactUrl(r.url) } } };
}

function withoutEnvValues(p: Profile): Profile {
  if (p.env === undefined) return p;
  return { ...p, env: Object.fromEntries(Object.keys(p.env).map((k) => [k, '(not shown)'])) };
}

/** A few lines saying what a profile resolves to, for people (pure). */
export function renderProfileSummary(p: Profile, cwd: string): string[] {
  const a = p.autoscaling;
  const s = p.slo;
  const targets = [
    s.p50Ms !== undefined ? `p50 ${formatDuration(s.p50Ms)}` : '',
    s.p90Ms !== undefined ? `p90 ${formatDuration(s.p90Ms)}` : '',
    s.p95Ms !== undefined ? `p95 ${formatDuration(s.p95Ms)}` : '',
    s.p99Ms !== undefined ? `p99 ${formatDuration(s.p99Ms)}` : '',
    s.p999Ms !== undefined ? `p99.9 ${formatDuration(s.p999Ms)}` : '',
    s.maxMs !== undefined ? `max ${formatDuration(s.maxMs)}` : '',
    s.errorRate !== undefined ? `errors <= ${+(s.errorRate * 100).toFixed(3)}%` : '',
    s.targetRps !== undefined ? `${s.targetRps} req/s` : '',
    s.minRps !== undefined ? `(at least ${s.minRps})` : '',
  ].filter(Boolean);
  const scaling = a.enabled
    ? `autoscale on ${a.targetOngoingRequests} in flight per replica, up after ` +
      `${formatDuration(a.upscaleDelayMs)}, down after ` +
      `${formatDuration(a.downscaleDelayMs)}` +
      `${a.latencyGuard ? ', latency guard on' : ''}`
    : 'autoscaling off';
  return [
    `${displayName(p.sourcePath, cwd) || p.name}: ok (profile "${p.name}")`,
    `  model       ${p.model.name} ` +
      `${p.model.version === 'latest' ? 'latest' : `v${p.model.version}`} from ` +
      `${relativeDir(p.model.registry, cwd)}`,
    `  replicas    ${p.replicas.min}-${p.replicas.max}, start ${p.replicas.initial}` + `; ${scaling}`,
    `  per replica ${p.resources.cpus} CPU, ${p.resources.gpus} GPU, ` +
      `${formatBytes(p.resources.memoryBytes)}; batch ${p.batching.maxBatchSize} ` +
      `within ${formatDuration(p.batching.batchWaitMs)}; ${p.runtime.device}, ` +
      `${p.runtime.threads} thread(s)`,
    `  health      probe every ${formatDuration(p.health.periodMs)} (timeout ` +
      `${formatDuration(p.health.timeoutMs)}, ${p.health.failureThreshold} failures ` +
      `eject); restart backoff ${formatDuration(p.restart.initialBackoffMs)} x` +
      `${p.restart.backoffMultiplier} to ${formatDuration(p.restart.maxBackoffMs)}`,
    `  gateway     ${p.gateway.tls ? 'https' : 'http'}://${p.gateway.host}:` +
      `${p.gateway.port === 0 ? '<free port>' : p.gateway.port}, queue ` +
      `${p.gateway.maxQueuedRequests}, timeout ${formatMs(p.gateway.requestTimeoutMs)}`,
    `  cache       ${cacheSummary(p.cache)}`,
    `  targets     ${targets.join(' ') || 'none'}`,
    ...(p.hosts.length > 1 || p.hosts[0]?.ssh !== undefined
      ? [
          `  hosts       ` +
            `${p.hosts.map((h) => (h.ssh === undefined ? `${h.name} (this machine)` : `${h.name} (${h.ssh})`)).join(', ')}`,
        ]
      : []),
    `  security    ${securityLine(p)}`,
  ];
}

function cacheSummary(c: Profile['cache']): string {
  if (!c.enabled) return 'off';
  const redis =
    c.redis === undefined
      ? 'memory only'
      : `then Redis ${redactUrl(c.redis.url)} (prefix ${c.redis.prefix}, timeout ` +
        `${formatDuration(c.redis.timeoutMs)})`;
  return `${c.maxEntries} answers, ${formatBytes(c.maxBytes)}, ttl ` + `${formatDuration(c.ttlMs)}; ${redis}`;
}

/** What a schedule resolves to: its windows, the next switch, then each profile's summary (pure but for `now`). */
export function renderScheduleSummary(s: LoadedSchedule, cwd: string, now: Date): string[] {
  const sch = s.schedule;
  const next = nextChange(sch, now);
  const lines = [
    `${displayName(s.sourcePath, cwd) || s.name}: ok (schedule "${s.name}", ` +
      `${Object.keys(s.profiles).length} profiles checked)`,
    `  time zone   ${sch.timezone}; default ${sch.default}`,
    ...sch.windows.map(
      (w) =>
        `  window      ${w.profile} ${w.days.join(',')} ${w.from}-${w.to}` +
        `${w.prewarmMs ? `, prewarm ${formatDuration(w.prewarmMs)}` : ''}`,
    ),
    `  closed      ${sch.closedDates?.length ?? 0} dates` +
      `${sch.closedDates?.length ? ` (${sch.closedDates[0]} .. ${sch.closedDates.at(-1)})` : ''}` +
      `; ${Object.keys(sch.earlyClose ?? {}).length} early closes`,
    `  now         ${activeProfile(sch, now)}` +
      `${next ? `; next ${next.profile} at ${next.at.toISOString()} (${next.reason})` : ''}` +
      ` (serve schedule show ${s.name})`,
  ];
  for (const p of Object.values(s.profiles)) lines.push('', ...renderProfileSummary(p, cwd));
  return lines;
}

/** "2 tokens (1 with a quota), health open, /metrics needs a token; TLS" or "no tokens (anyone may call it); plain HTTP". */
function securityLine(p: Profile): string {
  const a = p.gateway.auth;
  const tls = p.gateway.tls ? 'TLS' : 'plain HTTP';
  if (a === undefined) return `no tokens (anyone who reaches the port may call it); ${tls}`;
  const quotas = a.tokens.filter((t) => t.requestsPerSecond !== undefined).length;
  const open = [
    a.openHealth ? 'health open' : 'health needs a token',
    a.openMetrics ? '/metrics open' : '/metrics needs a token',
  ];
  return `${a.tokens.length} token(s)${quotas ? ` (${quotas} with a quota)` : ''}, ` + `${open.join(', ')}; ${tls}`;
}

/** `./models` for a folder under `cwd`, else the absolute path. */
function relativeDir(dir: string, cwd: string): string {
  const shown = displayName(dir, cwd);
  return shown === '' ? '.' : shown.startsWith('/') ? shown : `./${shown}`;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description(
      'Check a profile without starting anything: every problem with file:line:col, or ' +
        'a summary of what it resolves to.',
    )
    .argument(
      '[profile]',
      'profile or schedule name (./profiles/<name>.yaml, then the shipped ones) or ' +
        'path of a .yaml file; a schedule is checked with every profile it names',
    )
    .option(
      '--json',
      'print the resolved profile (durations in ms, sizes in bytes) as JSON; problems ' +
        'as {"ok":false,"problems":[...]}',
    )
    .option('--list', 'list the profiles found by name (./profiles first, then the shipped ones)')
    .option('--schema', 'print the JSON Schema of profile files (for editors)')
    .addHelpText(
      'after',
      `
Examples:
  $ serve validate market-hours
  $ serve validate ` +
        `trading-day              a schedule and every profile it names
  $ serve ` +
        `validate ./my-profile.yaml --json
  $ serve validate --schema > ` +
        `profile.schema.json

A schedule's warnings (a window that earlier windows cover ` +
        `entirely, so it never applies; a closed
date listed twice) go to stderr as ` +
        `"serve: warning: file:line:col field: ..." and do not fail it.

A valid profile ` +
        `whose replicas.min does not fit this machine (and has no SSH hosts) gets a note ` +
        `on
stderr saying so; it is still valid (exit 0): it may be meant for other ` +
        `hosts.

Exit codes: 0 valid (warnings and notes included), 2 problems found ` +
        `(each printed as file:line:col field: what is wrong, what is expected).`,
    )
    .action(action((ref: string | undefined, flags: Flags) => validate(ref, flags)));
}
