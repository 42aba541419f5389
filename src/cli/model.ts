// `serve model demo|list|inspect` (cli): writes the demo model and shows what a registry holds.
// The work lives in src/model/; this file parses flags and renders tables and text.
import { InvalidArgumentError, type Command } from 'commander';
import { compactTable } from './table.js';
import { writeDemoModel, type DemoOptions } from '../model/demo.js';
import { inspectModel, listRegistry, type ModelInspection, type ModelListing } from '../model/inspect.js';
import { DEFAULT_REGISTRY_DIR, parseModelRef } from '../model/registry.js';
import { UserError } from '../common/errors.js';
import { verifyModel } from '../model/verify.js';
import { action } from './errors.js';
import { registerCompare } from './model-compare.js';
import { registerOptimize } from './model-optimize.js';
import { printJson } from './output.js';

function wholeNumber(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} expects a whole number, got "${value}"`);
    return Number(value);
  };
}

interface DemoFlags {
  registry: string;
  name?: string;
  modelVersion?: number;
  channels?: number;
  hidden?: number;
  layers?: number;
  window?: number;
  features?: number;
  seed?: number;
  normalize: boolean;
  force?: boolean;
  json?: boolean;
}

const registryOpt = ['--registry <dir>', 'model registry folder', DEFAULT_REGISTRY_DIR] as const;

export function register(program: Command): void {
  const model = program
    .command('model')
    .description('Manage the model registry: write the demo model, list and inspect models.');
  model.addHelpText(
    'after',
    `
Examples:
  $ serve model demo                          write ` +
      `models/cnn-lstm/1 (same bytes every time)
  $ serve model demo --name ` +
      `cnn-lstm@2 --layers 2 --hidden 128 --channels 64
  $ serve model ` +
      `list                          every model and version in ./models
  $ serve ` +
      `model inspect cnn-lstm@latest       model.yaml and what model.onnx itself declares`,
  );
  registerDemo(model);
  registerList(model);
  registerInspect(model);
}

function registerDemo(model: Command): void {
  model
    .command('demo')
    .description('Write the bundled demo CNN+LSTM (x [batch, 60, 16] -> probs [batch, 3]) into the registry.')
    .option(...registryOpt)
    .option('--name <name[@version]>', 'model folder name, optionally with the version (default "cnn-lstm@1")')
    // Not --version: the root program owns that flag and commander sees it after subcommands too.
    .option('--model-version <n>', 'version folder (default 1)', wholeNumber('--model-version'))
    .option('--channels <n>', 'Conv1d output channels (default 32)', wholeNumber('--channels'))
    .option('--hidden <n>', 'LSTM hidden size (default 64)', wholeNumber('--hidden'))
    .option('--layers <n>', 'stacked LSTM layers (default 1)', wholeNumber('--layers'))
    .option('--window <n>', 'time steps per sample (default 60)', wholeNumber('--window'))
    .option('--features <n>', 'features per time step (default 16)', wholeNumber('--features'))
    .option('--seed <n>', 'weight seed (default 20240601)', wholeNumber('--seed'))
    .option('--no-normalize', 'leave per-feature mean/std normalization out of model.yaml')
    .option('--force', 'overwrite a version folder that holds a different model')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ serve model demo
  $ serve model demo --registry /srv/models ` +
        `--force
  $ serve model demo --name cnn-lstm@2 --layers 2
  $ serve model demo ` +
        `--name cnn-lstm-big --channels 128 --hidden 256 --layers 2 --window 120`,
    )
    .action(action(writeDemo));
}

async function writeDemo(flags: DemoFlags): Promise<void> {
  const { channels, hidden, layers, window, features, seed, normalize, force } = flags;
  const opts: DemoOptions = {
    channels,
    hidden,
    layers,
    window,
    features,
    seed,
    normalize,
    force,
    ...splitName(flags.name, flags.modelVersion),
  };
  const written = await writeDemoModel(flags.registry, opts);
  await verifyModel(written);
  if (flags.json)
    return printJson({ status: written.status, dir: written.dir, onnxPath: written.onnxPath, spec: written.spec });
  const verb = { created: 'Wrote', overwritten: 'Overwrote', unchanged: 'Unchanged (identical bytes):' }[
    written.status
  ];
  process.stdout.write(`${verb} ${written.dir} (model.onnx, model.yaml)\n`);
  process.stdout.write(`  ${tensors(written.spec.inputs)} -> ${tensors(written.spec.outputs)}\n`);
}

function registerList(model: Command): void {
  model
    .command('list')
    .description('List every model version in the registry.')
    .option(...registryOpt)
    .option('--json', 'print the list as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ serve model list
  $ serve model list --registry /srv/models --json`,
    )
    .action(
      action(async (flags: { registry: string; json?: boolean }) => {
        const rows = await listRegistry(flags.registry);
        if (flags.json) return printJson(rows);
        process.stdout.write(renderList(rows, flags.registry));
      }),
    );
}

function registerInspect(model: Command): void {
  model
    .command('inspect')
    .description('Show a model version: model.yaml, what model.onnx declares, and whether they match.')
    .argument('<model>', 'NAME, NAME@VERSION or NAME@latest')
    .option(...registryOpt)
    .option('--json', 'print the inspection as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ serve model inspect cnn-lstm
  $ serve model inspect cnn-lstm@2 ` +
        `--registry /srv/models --json

Exits 2 when model.onnx cannot be loaded or does ` +
        `not match model.yaml.`,
    )
    .action(
      action(async (ref: string, flags: { registry: string; json?: boolean }) => {
        const ins = await inspectModel(flags.registry, ref);
        if (flags.json) printJson(ins);
        else process.stdout.write(renderInspection(ins));
        return ins.check.ok ? 0 : 2;
      }),
    );

  registerOptimize(model);
  registerCompare(model);
}

/** "--name big@2" or "--name big --model-version 2" → name and version; both ways at once must agree. */
function splitName(name: string | undefined, modelVersion: number | undefined): { name?: string; version?: number } {
  if (name === undefined) return { version: modelVersion };
  const ref = parseModelRef(name);
  if (!name.includes('@')) return { name: ref.name, version: modelVersion };
  if (ref.version === undefined)
    throw new UserError(`--name ${name}: write an explicit version such as ${ref.name}@1, not @latest`);
  if (modelVersion !== undefined && modelVersion !== ref.version) {
    throw new UserError(`--name ${name} and --model-version ${modelVersion} disagree: give the version once`);
  }
  return { name: ref.name, version: ref.version };
}

function tensors(list: readonly { name: string; datatype: string; shape: readonly (number | string)[] }[]): string {
  return list.map((t) => `${t.name} ${t.datatype} [${t.shape.join(', ')}]`).join(', ');
}

function kib(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** `serve model list` as a table, broken versions included with their reason. */
export function renderList(rows: readonly ModelListing[], registryDir: string): string {
  if (rows.length === 0)
    return (
      `Registry ${registryDir} is empty. Write the demo model with: serve model demo ` + `--registry ${registryDir}\n`
    );
  const cells = rows.map((r) => [
    r.name,
    `${r.version}${r.latest ? ' (latest)' : ''}`,
    r.spec ? tensors(r.spec.inputs) : '',
    r.spec ? tensors(r.spec.outputs) : '',
    r.parameterCount?.toLocaleString('en-US') ?? '',
    kib(r.onnxBytes),
    r.ok ? 'ok' : `broken: ${r.error}`,
  ]);
  return `${compactTable(['model', 'version', 'inputs', 'outputs', 'params', 'size', 'status'], cells, 60)}\n`;
}

/** `serve model inspect` as text. */
export function renderInspection(ins: ModelInspection): string {
  const { model, onnx, check } = ins;
  const ops = Object.entries(onnx.opCounts)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  const lines = [
    `${model.name}@${model.version}  ${model.dir}`,
    `  description:   ${model.spec.description || '(none)'}`,
    `  model.yaml`,
    `    inputs:      ${tensors(model.spec.inputs)}`,
    `    outputs:     ${tensors(model.spec.outputs)}`,
  ];
  const norm = model.spec.preprocessing?.normalize;
  if (norm)
    lines.push(
      `    preprocess:  normalize ${norm.input} per feature (mean/std over ` + `${norm.mean.length} features)`,
    );
  lines.push(
    `  model.onnx     ${kib(onnx.fileBytes)}, IR ${onnx.irVersion}, opset ` +
      `${onnx.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}` +
      `${onnx.producer ? `, producer ${onnx.producer}` : ''}`,
    `    inputs:      ${tensors(onnx.inputs)}`,
    `    outputs:     ${tensors(onnx.outputs)}`,
    `    graph:       ${onnx.nodeCount} nodes (${ops}), ` + `${onnx.parameterCount.toLocaleString('en-US')} parameters`,
  );
  if (check.ok)
    lines.push(
      `  check:         ok: ONNX Runtime loads it (${check.loadMs?.toFixed(0)} ms) ` + `and it matches model.yaml`,
    );
  else lines.push(`  check:         FAILED`, ...check.problems.map((p) => `    ${p}`));
  return `${lines.join('\n')}\n`;
}
