// How a placed replica is started (control plane): on this machine as before, on an SSH host with
// that host's Node.js, serve, registry and address, a heartbeat deadline, and, for a GPU replica,
// its devices in CUDA_VISIBLE_DEVICES. Every replica gets the cluster token on stdin.
import path from 'node:path';
import type { Profile } from '../../profile/types.js';
import { orphanArgs, replicaLaunch, type ChildLaunch } from './child-args.js';
import type { RemotePlace } from '../hosts/index.js';

export interface PlacedLaunchOptions {
  /** The CLI entry here, and on SSH hosts (default <workdir>/bin/serve.js there). */
  cliEntry: string;
  remoteCliEntry?: string;
  modelVersion: number;
  /** The registry on this machine. */
  registry: string;
  token: string;
  /**
   * Replicas on SSH hosts outlive the controller (the SSH launcher's detached mode): they get the
   * profile's `--orphan-timeout` too (their heartbeat deadline then holds only while a controller is there).
   */
  remoteDetached?: boolean;
  /** What a replica on that host needs; undefined for this machine. */
  remotePlace(host: string | undefined): RemotePlace | undefined;
}

/** The launch of replica `id` where placement put it (`host`, `gpus`). */
export function placedReplicaLaunch(
  profile: Profile,
  o: PlacedLaunchOptions,
  id: string,
  placed: { host?: string; gpus?: number[] },
  modelVersion?: number,
): ChildLaunch {
  const remote = o.remotePlace(placed.host);
  const env = placed.gpus && placed.gpus.length > 0 ? { CUDA_VISIBLE_DEVICES: placed.gpus.join(',') } : undefined;
  const common = { replicaId: id, modelVersion: modelVersion ?? o.modelVersion, authToken: o.token };
  const launch = remote
    ? replicaLaunch(profile, {
        ...common,
        command: remote.node,
        cliEntry: o.remoteCliEntry ?? path.posix.join(remote.workdir, 'bin', 'serve.js'),
        registry: remote.registry,
        listenHost: remote.address,
        heartbeatTimeoutMs: remote.heartbeatTimeoutMs,
      })
    : replicaLaunch(profile, { ...common, cliEntry: o.cliEntry, registry: o.registry, local: true });
  const args = remote && o.remoteDetached ? [...launch.args, ...orphanArgs(profile)] : launch.args;
  return { ...launch, args, ...(env ? { env } : {}), ...(remote ? { host: placed.host } : {}) };
}
