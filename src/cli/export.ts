// `serve export` (cli): writes a profile (or a schedule) as a Triton model repository, a KServe
// InferenceService (with a KEDA ScaledObject for a schedule) or a Ray Serve config and module,
// and says what did not carry over. The work is in src/export/; this file parses and renders.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { UserError } from '../common/errors.js';
import { packageVersion } from '../common/package-info.js';
import { planExport } from '../export/plan.js';
import { EXPORT_TARGETS, type ExportPlan, type ExportSource, type ExportTarget } from '../export/types.js';
import { writeExport, type WrittenFile } from '../export/write.js';
import { resolveModel } from '../model/registry.js';
import { loadProfileOrSchedule } from '../profile/schedule/load.js';
import { action } from './errors.js';
import { ensureModel } from './ensure-model.js';
import { printJson } from './output.js';

interface ExportFlags {
  profile: string;
  to: ExportTarget;
  out: string;
  storageUri?: string;
  registry?: string;
  json?: boolean;
}

/** What --json prints: the files written and the warnings. */
export interface ExportReport {
  target: ExportTarget;
  profile: string;
  model: string;
  out: string;
  files: WrittenFile[];
  warnings: ExportPlan['warnings'];
}

/** The report for people: the files, then every warning as `field: why` (pure). */
export function renderExport(r: ExportReport): string {
  const lines = [`Wrote ${r.files.length} files for ${r.target} to ${r.out} (${r.profile}, ` + `${r.model}):`];
  for (const f of r.files) lines.push(`  ${f.path.padEnd(44)} ${f.what}`);
  if (r.warnings.length === 0) lines.push('Everything in the profile carried over.');
  else {
    lines.push('', `Did not carry over (${r.warnings.length}):`);
    for (const w of r.warnings) lines.push(`  ${w.field}: ${w.message}`);
  }
  return lines.join('\n');
}

async function run(flags: ExportFlags): Promise<number> {
  if (flags.storageUri !== undefined) {
    if (flags.to !== 'kserve')
      throw new UserError(
        `--storage-uri is only for --to kserve (where KServe pulls the model repository ` +
          `from), not --to ${flags.to}`,
      );
    if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/.test(flags.storageUri)) {
      throw new UserError(
        `--storage-uri must be a URI such as s3://bucket/models or pvc://claim/models, ` + `got "${flags.storageUri}"`,
      );
    }
  }
  const loaded = await loadProfileOrSchedule(flags.profile);
  const first =
    loaded.kind === 'profile' ? loaded.profile : loaded.schedule.profiles[loaded.schedule.schedule.default]!;
  const registry = path.resolve(flags.registry ?? first.model.registry);
  await ensureModel(registry, first, (line) => process.stderr.write(line + '\n'));
  const model = await resolveModel(
    registry,
    first.model.version === 'latest' ? first.model.name : `${first.model.name}@${first.model.version}`,
  );
  const src: ExportSource = {
    ref: flags.profile,
    ...(loaded.kind === 'profile' ? { profile: loaded.profile } : { schedule: loaded.schedule }),
    model,
    storageUri: flags.storageUri,
    serveVersion: packageVersion(),
  };
  const plan = planExport(src, flags.to);
  const out = path.resolve(flags.out);
  const files = await writeExport(plan, out);
  const report: ExportReport = {
    target: flags.to,
    profile: loaded.kind === 'profile' ? loaded.profile.name : loaded.schedule.name,
    model: `${model.name}@${model.version}`,
    out,
    files,
    warnings: plan.warnings,
  };
  if (flags.json) printJson(report);
  else process.stdout.write(renderExport(report) + '\n');
  return 0;
}

export function register(program: Command): void {
  program
    .command('export')
    .description(
      'Write a profile (or a schedule) for a distributed engine: a Triton model ' +
        'repository, a KServe InferenceService (+ KEDA ScaledObject for a schedule), or ' +
        'a Ray Serve config and module; lists what does not carry over.',
    )
    .requiredOption(
      '--profile <name|file>',
      'profile or schedule name (./profiles/<name>.yaml, then the shipped ones) or ' + 'path of a .yaml file',
    )
    .addOption(
      new Option('--to <target>', 'the engine to export to').choices([...EXPORT_TARGETS]).makeOptionMandatory(),
    )
    .requiredOption('--out <dir>', 'folder to write into (created if missing; files of the same names are replaced)')
    .option(
      '--storage-uri <uri>',
      'KServe: where the model repository will be uploaded (s3://, gs://, pvc://...); ' +
        'without it a placeholder and a warning',
    )
    .option('--registry <dir>', "model registry folder (overrides the profile's model.registry)")
    .option('--json', 'print the files written and the warnings as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ serve export --profile market-hours --to triton --out ` +
        `./export/triton
  $ serve export --profile market-hours --to kserve --out ` +
        `./export/kserve --storage-uri s3://models/cnn-lstm
  $ serve export --profile ` +
        `trading-day --to kserve --out ./export/kserve     a schedule: + a KEDA ` +
        `ScaledObject
  $ serve export --profile off-hours --to ray --out ./export/ray ` +
        `--json

Values are the profile's whatever this host has (a CPU-only host still ` +
        `writes num_gpus: 0.5).
Exit codes: 0 written (warnings included), 2 bad ` +
        `profile, flags or model.`,
    )
    .action(action((flags: ExportFlags) => run(flags)));
}
