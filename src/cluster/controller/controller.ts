// The controller's entry (control plane): `startCluster` claims the state directory and starts one
// running cluster (running-cluster.ts). `serve up` and `serve demo` call it; the handle stops it.
import path from 'node:path';
import { resolveModel } from '../../model/registry.js';
import type { Profile } from '../../profile/types.js';
import { checkSocketPath, claimStateDir, releaseStateDir, statePaths } from '../state/index.js';
import type { StartClusterOptions, ClusterHandle } from './options.js';
import { Controller } from './running-cluster.js';
import { systemClock } from '../../common/clock.js';
import { prepareRunDir } from '../launchers/index.js';
import { planAdoption } from './adoption.js';
import { childDirs } from './wiring.js';

export type { ClusterHandle, ClusterSchedule, StartClusterOptions } from './options.js';

/**
 * Starts a cluster for `profile` and resolves once the gateway listens and every placed replica
 * is ready or has failed. Throws UserError (leaving nothing running) if the state directory's
 * path is too long, the model is missing or broken, another cluster owns the state directory,
 * the gateway does not start, or no replica became ready.
 */
export async function startCluster(profile: Profile, opts: StartClusterOptions): Promise<ClusterHandle> {
  const startedAtMs = (opts.clock ?? systemClock).nowMs();
  const paths = statePaths(opts.stateDir);
  // Checks that need nothing started come first, so a failure leaves nothing behind.
  checkSocketPath(paths);
  const registry = path.resolve(opts.registryOverride ?? profile.model.registry);
  const model = await resolveModel(registry, `${profile.model.name}@${profile.model.version}`);
  claimStateDir(paths);
  let c: Controller;
  try {
    // Children of a controller that died here are adopted when they pass every check (adoption.ts).
    if (!opts.launcher) prepareRunDir(childDirs(paths).runDir);
    const plan = opts.launcher
      ? undefined
      : await planAdoption(paths, {
          profile: opts.schedule?.name ?? profile.name,
          gatewayPort: profile.gateway.port,
          modelVersion: model.version,
          onnxPath: model.onnxPath,
        });
    c = new Controller(profile, opts, paths, registry, model.version, model.dir, plan && { plan, startedAtMs });
  } catch (err) {
    releaseStateDir(paths);
    throw err;
  }
  await c.start();
  return {
    gatewayUrl: c.gatewayUrl,
    status: () => c.status(),
    scale: (n, f) => c.scale(n, f),
    scaleAuto: () => c.scaleAuto(),
    stop: () => c.stop(),
    stopped: c.stopped,
  };
}
