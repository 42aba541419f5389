// Changing settings of a running cluster (common, every plane): which replica settings may change
// live (the settings table marks them: batching), how a change is checked, and the admin API's
// POST /reconfigure body and answer. Threads are not live: the controller replaces the replicas.
import { checkSetting } from './settings.js';
import { replicaSettingsTable, type ReplicaSettings } from './table.js';

/** The settings a replica applies between batches, without a restart. */
export type LiveSettings = Partial<Pick<ReplicaSettings, 'maxBatchSize' | 'batchWaitMs'>>;

/** What POST /reconfigure may change: the live settings, and threads (by a rolling replacement). */
export type ReconfigureRequest = LiveSettings & Partial<Pick<ReplicaSettings, 'threads'>>;

/** Settings the controller changes by replacing replicas one at a time rather than live. */
const RESTART_SETTINGS: ReadonlySet<string> = new Set(['threads']);

/** One replica's answer to a live change. */
export interface ReplicaReconfigured {
  id: string;
  ok: boolean;
  /** Why it did not apply (refused, no answer in time, exited). */
  error?: string;
}

/** The answer of POST /reconfigure. */
export interface ReconfigureResult {
  /** The settings now in force for every replica and for the replicas started from now on. */
  applied: ReconfigureRequest;
  /** Each running replica's answer to the live part (empty when only threads changed). */
  replicas: ReplicaReconfigured[];
  /** True when the replicas were replaced one at a time (threads changed). */
  rolled: boolean;
}

/** Names of the settings a running replica may change (from the settings table). */
export function liveSettingNames(): string[] {
  return Object.entries(replicaSettingsTable)
    .filter(([, s]) => s.live)
    .map(([name]) => name);
}

/**
 * Checks a change by the settings table's rules: every value in its range, only live settings (and,
 * with `allowRestart`, the ones the controller changes by replacing replicas), at least one. Throws a
 * RangeError naming every problem.
 */
export function parseReconfigure(raw: unknown, allowRestart: boolean): ReconfigureRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new RangeError('expected a JSON object of settings such as {"maxBatchSize": 16, "batchWaitMs": 2}');
  const allowed = [...liveSettingNames(), ...(allowRestart ? RESTART_SETTINGS : [])];
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const spec = (
      replicaSettingsTable as Record<string, (typeof replicaSettingsTable)[keyof ReplicaSettings] | undefined>
    )[name];
    if (!allowed.includes(name)) {
      problems.push(
        spec === undefined
          ? `unknown setting "${name.slice(0, 64)}" (it may change: ${allowed.join(', ')})`
          : `${name} cannot change on a running replica (it may change: ` +
              `${allowed.join(', ')}); restart the cluster with a new profile`,
      );
      continue;
    }
    try {
      out[name] = checkSetting(spec!, value);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  if (problems.length === 0 && Object.keys(out).length === 0)
    problems.push(`no setting given: change at least one of ${allowed.join(', ')}`);
  if (problems.length > 0) throw new RangeError(problems.join('; '));
  return out as ReconfigureRequest;
}

/** The live part of a change (what is sent to running replicas). */
export function livePart(r: ReconfigureRequest): LiveSettings {
  const out: LiveSettings = {};
  if (r.maxBatchSize !== undefined) out.maxBatchSize = r.maxBatchSize;
  if (r.batchWaitMs !== undefined) out.batchWaitMs = r.batchWaitMs;
  return out;
}
