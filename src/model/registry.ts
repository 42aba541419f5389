// The model registry: a folder of models/<name>/<version>/{model.onnx,model.yaml} (model plane).
// Resolves "name", "name@3" or "name@latest" to files and a validated spec.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../common/errors.js';
import type { ModelSpec } from './spec.js';
import { parseModelYaml } from './spec-yaml.js';

/** Where the registry lives when neither the profile nor --registry says. */
export const DEFAULT_REGISTRY_DIR = './models';

/** A model version found on disk, with its parsed and validated model.yaml. */
export interface ResolvedModel {
  name: string;
  version: number;
  /** The version folder, models/<name>/<version>. */
  dir: string;
  onnxPath: string;
  yamlPath: string;
  spec: ModelSpec;
}

/** A model reference split into name and version (undefined = latest). */
export interface ModelRef {
  name: string;
  version?: number;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Parses "name", "name@3" or "name@latest". Throws UserError on anything else. */
export function parseModelRef(ref: string): ModelRef {
  const at = ref.lastIndexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const ver = at < 0 ? 'latest' : ref.slice(at + 1);
  if (!NAME_RE.test(name)) {
    throw new UserError(
      `bad model reference "${ref}": expected NAME, NAME@VERSION or NAME@latest (name ` +
        `of letters, digits, ".", "_", "-")`,
    );
  }
  if (ver === 'latest') return { name };
  if (!/^\d+$/.test(ver))
    throw new UserError(`bad model version in "${ref}": expected a whole number or "latest", e.g. ` + `${name}@1`);
  return { name, version: Number(ver) };
}

/** True for names that may be used as a model folder. */
export function isValidModelName(name: string): boolean {
  return NAME_RE.test(name);
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function requireRegistry(registryDir: string): Promise<void> {
  if (!(await isDir(registryDir))) {
    throw new UserError(
      `model registry "${registryDir}" does not exist or is not a folder: pass ` +
        `--registry DIR, or create it with "serve model demo --registry ${registryDir}"`,
    );
  }
}

async function modelNames(registryDir: string): Promise<string[]> {
  const entries = await readdir(registryDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && NAME_RE.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** Integer version folders of one model, ascending. */
export async function listVersions(registryDir: string, name: string): Promise<number[]> {
  const entries = await readdir(path.join(registryDir, name), { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
    .map((e) => Number(e.name))
    .sort((a, b) => a - b);
}

/**
 * Finds `ref` in the registry and reads its model.yaml. Does not open the ONNX file (see verify.ts).
 * Throws UserError naming the registry, the known models or versions, or the broken file.
 */
export async function resolveModel(registryDir: string, ref: string): Promise<ResolvedModel> {
  const { name, version } = parseModelRef(ref);
  await requireRegistry(registryDir);
  const names = await modelNames(registryDir);
  if (!names.includes(name)) {
    const known = names.length
      ? `known models: ${names.join(', ')}`
      : 'the registry is empty; create the demo model with "serve model demo"';
    throw new UserError(`model "${name}" is not in registry "${registryDir}" (${known})`);
  }
  const versions = await listVersions(registryDir, name);
  if (versions.length === 0) {
    throw new UserError(
      `model "${name}" in "${registryDir}" has no version folders: expected ` +
        `${path.join(registryDir, name, '1')}/model.onnx`,
    );
  }
  const chosen = version ?? versions[versions.length - 1]!;
  if (!versions.includes(chosen)) {
    throw new UserError(
      `model "${name}" has no version ${chosen} in "${registryDir}" (versions: ` + `${versions.join(', ')})`,
    );
  }
  return loadVersion(registryDir, name, chosen);
}

/** Reads one version folder (name and version known to exist as folders). */
export async function loadVersion(registryDir: string, name: string, version: number): Promise<ResolvedModel> {
  const dir = path.join(registryDir, name, String(version));
  const onnxPath = path.join(dir, 'model.onnx');
  const yamlPath = path.join(dir, 'model.yaml');
  const onnxStat = await stat(onnxPath).catch(() => undefined);
  if (!onnxStat?.isFile())
    throw new UserError(`${onnxPath} is missing: every version folder needs model.onnx and model.yaml`);
  const text = await readFile(yamlPath, 'utf8').catch(() => undefined);
  if (text === undefined)
    throw new UserError(
      `${yamlPath} is missing: describe the model's inputs and outputs there (see ` +
        `"serve model demo" for an example)`,
    );
  const spec = parseModelYaml(text, yamlPath, { name, version });
  return { name, version, dir, onnxPath, yamlPath, spec };
}

/** One registry entry for listings: a resolved version, or the one-line reason it is broken. */
export type RegistryEntry =
  | { name: string; version: number; ok: true; model: ResolvedModel }
  | { name: string; version: number; ok: false; error: string };

/**
 * Every version of every model, sorted by name then version. Broken versions are listed with
 * their error rather than failing the whole listing.
 */
export async function listModels(registryDir: string): Promise<RegistryEntry[]> {
  await requireRegistry(registryDir);
  const out: RegistryEntry[] = [];
  for (const name of await modelNames(registryDir)) {
    for (const version of await listVersions(registryDir, name)) {
      try {
        out.push({ name, version, ok: true, model: await loadVersion(registryDir, name, version) });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        out.push({ name, version, ok: false, error: err.message });
      }
    }
  }
  return out;
}
