// Resolves the profile's model reference against the registry before anything starts (control
// plane), so a missing model is one clear error instead of a crash loop of replicas.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.js';

/**
 * The concrete version to serve: `version` itself if its folder exists, or the highest integer
 * folder under <registry>/<name>/ for 'latest'. Throws UserError naming what is missing.
 */
export function resolveModelVersion(registry: string, name: string, version: number | 'latest'): number {
  const modelDir = path.join(registry, name);
  let entries: string[];
  try {
    entries = readdirSync(modelDir);
  } catch {
    throw new UserError(
      `model "${name}" is not in the registry ${registry} (no folder ${modelDir}): create it with \`serve model demo --registry ${registry}\` or pass --registry`,
    );
  }
  const versions = entries
    .filter((e) => /^\d+$/.test(e) && isDir(path.join(modelDir, e)))
    .map(Number)
    .sort((a, b) => a - b);
  if (version === 'latest') {
    const latest = versions.at(-1);
    if (latest === undefined) throw new UserError(`model "${name}" has no versions in ${modelDir}: create one with \`serve model demo --registry ${registry}\``);
    return latest;
  }
  if (!versions.includes(version)) {
    const have = versions.length > 0 ? `available: ${versions.join(', ')}` : 'none available';
    throw new UserError(`model "${name}" version ${version} is not in ${modelDir} (${have}): fix model.version in the profile`);
  }
  return version;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
