// Finding a running cluster from outside (client): reads the state.json `serve up` keeps in its state
// directory (without following links) and checks its controller is still that process, so `serve
// bench` with no --url, and `serve bench --profile`, load the cluster that runs here.
import { UnreachableError } from '../common/errors.js';
import { readSmallFile } from '../common/no-follow.js';
import { runningPid, statePaths } from '../common/state-layout.js';
import type { ClusterStateFile } from '../common/wire.js';

/**
 * The state of the cluster running in `stateDir`; with `profile`, it must run that profile. Throws
 * an UnreachableError (exit 3) saying what to run when none does.
 */
export function readClusterState(stateDir: string, profile?: string): ClusterStateFile {
  const paths = statePaths(stateDir);
  const upFirst =
    profile === undefined
      ? `start one with \`serve up --profile <profile>\`, or pass --url of a running server`
      : `run \`serve up --profile ${profile}\` first`;
  const pid = runningPid(paths);
  if (pid === undefined) {
    throw new UnreachableError(
      `no cluster is running in ${paths.dir}` +
        `${profile === undefined ? '' : ` for profile "${profile}"`}: ${upFirst}`,
    );
  }
  const state = parse(readSmallFile(paths.stateFile, 1024 * 1024));
  if (state === undefined) {
    throw new UnreachableError(
      `the cluster in ${paths.dir} (pid ${pid}) has not written a usable state.json ` +
        `yet (it may still be starting): wait for \`serve up\` to say it is up, or pass --url`,
    );
  }
  if (profile !== undefined && state.profileName !== profile && state.schedule !== profile) {
    throw new UnreachableError(
      `the running cluster uses profile "${state.profileName}", not "${profile}": use ` +
        `--profile ${state.profileName}, or ${upFirst}`,
    );
  }
  return state;
}

function parse(text: string | undefined): ClusterStateFile | undefined {
  if (text === undefined) return undefined;
  try {
    const state = JSON.parse(text) as ClusterStateFile;
    return typeof state?.gatewayUrl === 'string' && state.gatewayUrl !== '' && typeof state.model?.name === 'string'
      ? state
      : undefined;
  } catch {
    return undefined;
  }
}
