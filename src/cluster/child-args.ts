// Command lines of the data-plane children (control plane): `serve replica` and `serve gateway`,
// run with the same Node and the same compiled CLI as the controller itself.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Profile } from '../profile/types.js';

/**
 * The compiled CLI next to this module (<outDir>/src/cluster/ -> <outDir>/src/cli/main.js), so
 * children run the very build the controller runs, whatever process.argv[1] was.
 */
export const defaultCliEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

/** Arguments of `serve replica` for one replica of `profile`. */
export function replicaArgs(
  profile: Profile,
  o: { cliEntry: string; replicaId: string; modelVersion: number; registry: string },
): string[] {
  return [
    o.cliEntry, 'replica',
    '--model', `${profile.model.name}@${o.modelVersion}`,
    '--registry', o.registry,
    '--port', '0',
    '--host', '127.0.0.1',
    '--max-batch-size', String(profile.batching.maxBatchSize),
    '--batch-wait', `${profile.batching.batchWaitMs}ms`,
    '--max-queued', String(profile.batching.maxQueuedRequests),
    '--device', profile.runtime.device,
    '--threads', String(profile.runtime.intraOpThreads),
    '--replica-id', o.replicaId,
    '--drain-timeout', `${profile.drainTimeoutMs}ms`,
    '--exit-with-parent',
  ];
}

/** Arguments of `serve gateway`; `port` overrides the profile's (to keep a port across restarts). */
export function gatewayArgs(profile: Profile, o: { cliEntry: string; port?: number }): string[] {
  const g = profile.gateway;
  return [
    o.cliEntry, 'gateway',
    '--host', g.host,
    '--port', String(o.port ?? g.port),
    '--max-queued', String(g.maxQueuedRequests),
    '--request-timeout', `${g.requestTimeoutMs}ms`,
    '--eject-after', String(g.ejectAfterFailures),
    '--eject-for', `${g.ejectForMs}ms`,
    '--exit-with-parent',
  ];
}
