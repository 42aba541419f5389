// POST /reconfigure on a running cluster (control plane): new batching settings are sent to every
// running replica, which applies them between batches (no restart), and become the profile's, so
// replicas started from now on get them too; new thread counts replace the replicas one at a time
// (rolling.ts: a new one ready before an old one drains). `serve tune` applies candidates this way.
import { UserError, errorMessage } from '../../common/errors.js';
import {
  livePart,
  parseReconfigure,
  type ReconfigureRequest,
  type ReconfigureResult,
} from '../../common/settings/live-settings.js';
import type { Profile } from '../../profile/types.js';
import type { ClusterEvent } from '../events.js';
import type { Supervisor } from './supervisor.js';

/** How long a replica may take to answer a live change (one that is still loading answers once ready). */
export const LIVE_ANSWER_TIMEOUT_MS = 15_000;

/** What a reconfigure acts on. */
export interface ReconfigureParts {
  /** The profile in force. */
  profile: Profile;
  /** Makes `p` the profile in force (replicas launched from now on get its settings). */
  setProfile(p: Profile): void;
  supervisor: Supervisor;
  emit(e: ClusterEvent): void;
}

/** Checks and applies a change; resolves once every replica answered (and, for threads, once the roll ended). */
export async function reconfigure(parts: ReconfigureParts, raw: unknown): Promise<ReconfigureResult> {
  let req: ReconfigureRequest;
  try {
    req = parseReconfigure(raw, true);
  } catch (err) {
    throw new UserError(`reconfigure: ${errorMessage(err)}`);
  }
  const from = parts.profile;
  const batching = { ...from.batching, ...livePart(req) };
  if (batching.maxBatchSize > batching.maxQueuedRequests) {
    throw new UserError(
      `reconfigure: maxBatchSize ${batching.maxBatchSize} is more than the replicas' ` +
        `queue (batching.max_queued_requests ${batching.maxQueuedRequests}): the queue ` +
        `must hold a full batch`,
    );
  }
  const threads = req.threads ?? from.runtime.threads;
  parts.setProfile({ ...from, batching, runtime: { ...from.runtime, threads } });
  const live = livePart(req);
  const replicas =
    Object.keys(live).length > 0 ? await parts.supervisor.reconfigureLive(live, LIVE_ANSWER_TIMEOUT_MS) : [];
  const rolled = threads !== from.runtime.threads;
  const what = `batch ${batching.maxBatchSize} within ${batching.batchWaitMs}ms, ${threads} thread(s)`;
  const failed = replicas.filter((r) => !r.ok);
  parts.emit({
    level: failed.length > 0 ? 'warn' : 'info',
    kind: 'reconfigure',
    message:
      `reconfigured: ${what}` +
      `${replicas.length > 0 ? `; ${replicas.length - failed.length} of ${replicas.length} replicas changed live` : ''}` +
      `${failed.map((f) => `; ${f.id}: ${f.error}`).join('')}` +
      `${rolled ? '; replacing replicas one at a time for the new thread count' : ''}`,
  });
  if (rolled) await parts.supervisor.roll();
  return {
    applied: { maxBatchSize: batching.maxBatchSize, batchWaitMs: batching.batchWaitMs, threads },
    replicas,
    rolled,
  };
}
