// Live batching changes on a running replica (data plane, replica): the controller's control line
// {"type":"reconfigure","seq":N,"settings":{"maxBatchSize":16,"batchWaitMs":2}}, checked by the
// settings table (only settings it marks live), applied by the batcher between batches and
// acknowledged on stdout with {"event":"reconfigured","seq":N,...} (with "error" when refused).
import { errorMessage } from '../common/errors.js';
import { parseReconfigure, type LiveSettings } from '../common/settings/live-settings.js';
import type { ProcessEvent } from '../common/wire.js';
import type { ReplicaContext } from './context.js';

/**
 * Handles one control line (already JSON-parsed). A change that arrives while the model loads is
 * applied (and acknowledged) once the replica is ready; one that arrives while it drains is refused.
 */
export function handleReplicaControl(
  ctx: ReplicaContext,
  ready: Promise<unknown>,
  msg: unknown,
  emit: (e: ProcessEvent) => void,
): void {
  const m = (typeof msg === 'object' && msg !== null ? msg : {}) as {
    type?: unknown;
    seq?: unknown;
    settings?: unknown;
  };
  // The controller's heartbeat (a replica on an SSH host gets one every keep-alive): its arrival is
  // what counts (data-plane-process.ts), there is nothing to do or to log.
  if (m.type === 'heartbeat') return;
  if (m.type !== 'reconfigure') {
    ctx.log.warn('control line ignored: a replica takes only {"type":"reconfigure",...}', {
      type: String(m.type).slice(0, 40),
    });
    return;
  }
  const seq = typeof m.seq === 'number' && Number.isInteger(m.seq) && m.seq >= 0 ? m.seq : 0;
  let settings: LiveSettings;
  try {
    settings = parseReconfigure(m.settings, false);
  } catch (err) {
    ctx.log.warn('reconfigure refused', { error: errorMessage(err) });
    emit({ event: 'reconfigured', seq, error: errorMessage(err) });
    return;
  }
  const apply = () => {
    if (ctx.state !== 'ready' || !ctx.batcher) {
      emit({ event: 'reconfigured', seq, error: `the replica is ${ctx.state}: nothing to change` });
      return;
    }
    applyLiveSettings(ctx, settings);
    emit({ event: 'reconfigured', seq, settings: { ...settings } });
  };
  if (ctx.state === 'loading')
    void ready.then(apply, () => emit({ event: 'reconfigured', seq, error: 'the model did not load' }));
  else apply();
}

/** Puts `settings` in force: the batcher's policy for the next batches, and the rows one request may carry. */
export function applyLiveSettings(ctx: ReplicaContext, settings: LiveSettings): void {
  if (settings.maxBatchSize !== undefined) ctx.limits.maxRowsPerRequest = settings.maxBatchSize;
  ctx.batcher?.setPolicy(settings);
  ctx.log.info('batching changed', { ...settings });
}
