// How the controller starts its data-plane children (control plane): the command line of `serve
// replica` and `serve gateway` (the same Node and build as the controller) and the settings each
// reads as its first stdin line, built from the profile row by row of the settings table.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatExternalServers } from '../../common/external-servers.js';
import { replicaSettingsTable, type ReplicaSettings } from '../../common/settings/table.js';
import { gatewaySettingsTable, type GatewaySettings } from '../../common/settings/table-gateway.js';
import type { ControlMessage } from '../../common/wire.js';
import { settingsFromProfile } from '../../profile/child-settings.js';
import type { Profile } from '../../profile/types.js';

/**
 * The compiled CLI next to this module (<outDir>/src/cluster/launchers/ -> <outDir>/src/cli/main.js), so
 * children run the very build the controller runs, whatever process.argv[1] was.
 */
export const defaultCliEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli', 'main.js');

/** What to run and what to write on its stdin first. */
export interface ChildLaunch {
  command: string;
  args: string[];
  /** JSON lines written to stdin before anything else (the settings). */
  stdinLines: string[];
  /** What the controller sets in its environment (CUDA_VISIBLE_DEVICES of a GPU replica). */
  env?: Record<string, string>;
  /** The profile's `env:` (absent: none); see common/child-env.ts for the rest of its environment. */
  profileEnv?: Readonly<Record<string, string>>;
  /** The profile name of the host it runs on; undefined: this machine. */
  host?: string;
  /** A replica that serves the gateway over a frame socket where it can: see LaunchSpec. */
  frameSocket?: boolean;
}

/** Where and how one replica runs beyond the profile: its host's view and the cluster token. */
export interface ReplicaRunOptions {
  modelVersion: number;
  /** The registry on the host it runs on. */
  registry: string;
  /** Address it listens on (default 127.0.0.1; an SSH host's address). */
  listenHost?: string;
  /** The cluster token it requires of every request. */
  authToken?: string;
  /** It exits after this long without a heartbeat line (replicas on SSH hosts); 0 never. */
  heartbeatTimeoutMs?: number;
  /** It runs on this machine: it gets the profile's `--orphan-timeout` (controller.orphan_timeout). */
  local?: boolean;
}

/** Every setting of one replica of `profile`, row by row of its table (profile/child-settings.ts). */
export function replicaSettings(profile: Profile, o: ReplicaRunOptions): ReplicaSettings {
  return settingsFromProfile<ReplicaSettings, typeof replicaSettingsTable>(
    replicaSettingsTable,
    profile,
    {
      model: `${profile.model.name}@${o.modelVersion}`,
      registry: o.registry,
      host: o.listenHost,
      port: 0,
      heartbeatTimeoutMs: o.heartbeatTimeoutMs,
      authToken: o.authToken,
    },
    {},
  );
}

/** Every setting of the gateway of `profile`; `port` overrides the profile's (kept across restarts). */
export function gatewaySettings(profile: Profile, port?: number, replicaToken?: string): GatewaySettings {
  return settingsFromProfile<GatewaySettings, typeof gatewaySettingsTable>(
    gatewaySettingsTable,
    profile,
    { port: port ?? profile.gateway.port, replicaToken },
    {
      auth: (auth) => auth !== undefined,
      // Weights as percent of infer requests, "URL=PERCENT,..." (common/external-servers.ts).
      externalServers: (servers) =>
        servers && formatExternalServers(servers.map((e) => ({ url: e.url, weightPercent: e.weight * 100 }))),
    },
  );
}

/** `serve replica` for one replica: its id in argv (for `ps`), everything else on stdin. */
export function replicaLaunch(
  profile: Profile,
  o: ReplicaRunOptions & { cliEntry: string; replicaId: string; command?: string },
): ChildLaunch {
  return {
    command: o.command ?? process.execPath,
    args: [
      o.cliEntry,
      'replica',
      '--replica-id',
      o.replicaId,
      '--settings-stdin',
      '--exit-with-parent',
      // A replica on an SSH host serves the gateway's frames over TCP on its address (a free port).
      ...(o.local ? orphanArgs(profile) : ['--frame-port', '0']),
    ],
    stdinLines: [settingsLine(replicaSettings(profile, o))],
    // The gateway runs on this machine: a local replica can take its infer requests framed.
    ...(o.local ? { frameSocket: true } : {}),
    ...profileEnvOf(profile),
  };
}

/**
 * `serve gateway --hold`, settings on stdin: the socket holder, which runs the serving gateway as its
 * child on the socket it keeps (gateway/holder/holder.ts).
 */
export function gatewayLaunch(
  profile: Profile,
  o: { cliEntry: string; port?: number; replicaToken?: string },
): ChildLaunch {
  return {
    command: process.execPath,
    args: [o.cliEntry, 'gateway', '--hold', '--settings-stdin', '--exit-with-parent', ...orphanArgs(profile)],
    // The tokens (digests only) follow the settings, before any replica set: stdin, never argv.
    stdinLines: [settingsLine(gatewaySettings(profile, o.port, o.replicaToken)), ...authLines(profile)],
    ...profileEnvOf(profile),
  };
}

/**
 * `--orphan-timeout` of a local child (controller.orphan_timeout): how long it serves on, once its
 * controller died, with no controller on its control socket; none when never.
 */
export function orphanArgs(profile: Profile): string[] {
  const ms = profile.controller?.orphanTimeoutMs ?? 0;
  return ms > 0 ? ['--orphan-timeout', String(ms)] : [];
}

function profileEnvOf(profile: Profile): Pick<ChildLaunch, 'profileEnv'> {
  return profile.env && Object.keys(profile.env).length > 0 ? { profileEnv: profile.env } : {};
}

function authLines(profile: Profile): string[] {
  const auth = profile.gateway.auth;
  if (auth === undefined) return [];
  const msg: ControlMessage = { type: 'auth', auth };
  return [JSON.stringify(msg)];
}

function settingsLine(settings: ReplicaSettings | GatewaySettings): string {
  const msg: ControlMessage = { type: 'settings', settings: { ...settings } };
  return JSON.stringify(msg);
}
