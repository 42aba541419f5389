// Exports of the shipped profiles for the export tests: the demo model in a temporary registry,
// each shipped profile (or the trading-day schedule) planned for each target, in process.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { planExport } from '../../src/export/plan.js';
import type { ExportPlan, ExportSource, ExportTarget } from '../../src/export/types.js';
import { writeDemoModel } from '../../src/model/demo.js';
import { resolveModel, type ResolvedModel } from '../../src/model/registry.js';
import { loadProfileOrSchedule, type LoadedSchedule } from '../../src/profile/schedule/load.js';
import type { Profile } from '../../src/profile/types.js';
import { repoRoot } from '../helpers/paths.js';

/** The shipped profiles, and the schedule that names two of them. */
export const SHIPPED = ['local', 'market-hours', 'off-hours', 'trading-day'] as const;
export type Shipped = (typeof SHIPPED)[number];

export interface Fixture {
  dir: string;
  model: ResolvedModel;
  loaded: Record<Shipped, { profile?: Profile; schedule?: LoadedSchedule }>;
  cleanup(): Promise<void>;
}

/** A temporary folder with ./models (the demo model) and every shipped profile loaded from there. */
export async function makeFixture(): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-export-'));
  await writeDemoModel(path.join(dir, 'models'));
  const model = await resolveModel(path.join(dir, 'models'), 'cnn-lstm');
  const loaded = {} as Fixture['loaded'];
  for (const name of SHIPPED) {
    const l = await loadProfileOrSchedule(path.join(repoRoot, 'profiles', `${name}.yaml`), { cwd: dir, env: {} });
    loaded[name] = l.kind === 'profile' ? { profile: l.profile } : { schedule: l.schedule };
  }
  return { dir, model, loaded, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The plan of exporting `name` to `target`. */
export function plan(f: Fixture, name: Shipped, target: ExportTarget, storageUri?: string): ExportPlan {
  const src: ExportSource = { ref: name, ...f.loaded[name], model: f.model, storageUri, serveVersion: '0.1.0' };
  return planExport(src, target);
}

/** The text of the planned file at `file` (throws when it is not planned or is a copy). */
export function text(p: ExportPlan, file: string): string {
  const found = p.files.find((f) => f.path === file);
  if (!found || !('text' in found))
    throw new Error(
      `${file} is not a generated file of the ${p.target} export (files: ${p.files.map((x) => x.path).join(', ')})`,
    );
  return found.text;
}

/** A generated YAML file read back with the yaml library. */
export function yamlOf(p: ExportPlan, file: string): Record<string, unknown> {
  return parseYaml(text(p, file)) as Record<string, unknown>;
}
