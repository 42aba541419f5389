// Finding a running cluster for `serve bench --profile` (loadtest): reads the state file `serve up`
// leaves behind. Only the file is read: loadtest knows nothing else about the cluster.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UnreachableError } from '../common/errors.js';
import { isAlive } from '../common/process.js';
import type { ClusterStateFile } from '../common/wire.js';

/** The state of the running cluster started with `profile`; exit 3 with what to run when none. */
export async function readClusterState(stateDir: string, profile: string): Promise<ClusterStateFile> {
  const file = path.join(stateDir, 'state.json');
  const upFirst = `run \`serve up --profile ${profile}\` first`;
  let state: ClusterStateFile;
  try {
    state = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new UnreachableError(`no running cluster for profile "${profile}" (no readable ${file}): ${upFirst}`);
  }
  if (typeof state?.gatewayUrl !== 'string' || typeof state.model?.name !== 'string') {
    throw new UnreachableError(`${file} has no gatewayUrl or model: ${upFirst}`);
  }
  if (state.profileName !== profile) {
    throw new UnreachableError(`the running cluster uses profile "${state.profileName}", not "${profile}": use --profile ${state.profileName}, or ${upFirst}`);
  }
  if (typeof state.pid === 'number' && !isAlive(state.pid)) {
    throw new UnreachableError(`the cluster of profile "${profile}" is not running (pid ${state.pid} is gone): ${upFirst}`);
  }
  return state;
}
