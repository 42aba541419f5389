// The `tune` and `cost` sections of a profile (control plane): the search space `serve tune` reads
// (lists written as YAML lists or as its flags write them: "1,8,16,32", "1..4", "0ms,2ms") and the
// prices it ranks configurations by. The ranges of each value come from the settings table.
import { z } from 'zod';
import { parseDurationMs } from '../../common/units.js';
import { checkSetting, type SettingSpec } from '../../common/settings/settings.js';
import { replicaSettingsTable } from '../../common/settings/table.js';
import { number, section, type Leaf } from './fields.js';

const MAX_VALUES = 64;

/**
 * "1,8,16,32", "1..4", "1..3,8" or a list of such values → the sorted distinct whole numbers, each
 * within `spec`'s range. Throws a RangeError saying what is wrong.
 */
export function parseIntegerList(raw: unknown, spec: SettingSpec): number[] {
  const out = new Set<number>();
  for (const part of listParts(raw)) {
    const range = /^(\d+)\s*\.\.\s*(\d+)$/.exec(part);
    const [from, to] = range ? [Number(range[1]), Number(range[2])] : [Number(part), Number(part)];
    if (range && from > to)
      throw new RangeError(`"${part}" is an empty range: write the smaller number first, as in "1..4"`);
    if (to - from >= MAX_VALUES) throw new RangeError(`"${part}" spans more than ${MAX_VALUES} values`);
    for (let v = from; v <= to; v++) out.add(checkSetting(spec, range || /^\d+$/.test(part) ? v : part) as number);
  }
  return finish(out);
}

/** "0ms,2ms,5ms" or a list of durations → sorted distinct milliseconds within `spec`'s range. */
export function parseDurationList(raw: unknown, spec: SettingSpec): number[] {
  const out = new Set<number>();
  for (const part of listParts(raw)) {
    let ms: number;
    try {
      ms = parseDurationMs(part);
    } catch (err) {
      throw new RangeError(`${(err as Error).message} (a list of durations such as "0ms,2ms,5ms")`);
    }
    out.add(checkSetting(spec, ms) as number);
  }
  return finish(out);
}

function listParts(raw: unknown): string[] {
  const items = Array.isArray(raw) ? raw : [raw];
  const parts: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number')
      throw new RangeError(`got ${JSON.stringify(item)}, expected numbers or text such as "1,8,16" or "1..4"`);
    parts.push(
      ...String(item)
        .split(',')
        .map((p) => p.trim()),
    );
  }
  if (parts.some((p) => p === ''))
    throw new RangeError('an empty item: separate values with single commas, as in "1,8,16"');
  return parts;
}

function finish(values: Set<number>): number[] {
  if (values.size === 0) throw new RangeError('no values given');
  if (values.size > MAX_VALUES) throw new RangeError(`more than ${MAX_VALUES} values`);
  return [...values].sort((a, b) => a - b);
}

/** A leaf holding a list of values checked by `parse`; absent unless written. */
function listLeaf(
  doc: string,
  unit: string,
  expected: string,
  parse: (raw: unknown) => number[],
): Leaf<number[], true> {
  const schema = z.union([z.array(z.union([z.number(), z.string()])), z.string(), z.number()]).transform((v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      ctx.issues.push({
        code: 'custom',
        message: `got ${JSON.stringify(v).slice(0, 80)}: ${(err as Error).message}`,
        input: v,
      });
      return z.NEVER;
    }
  });
  return {
    kind: 'leaf',
    schema: schema.meta({ description: doc }),
    expected,
    unit,
    doc,
    defaultText: 'see `serve tune`',
  };
}

const t = replicaSettingsTable;

export const tuneSection = section('The search space of `serve tune` (its flags override each list).', {
  batch_sizes: listLeaf(
    'Values of batching.max_batch_size to try, e.g. [1, 8, 16, 32].',
    'list of integers',
    'a list of batch sizes such as [1, 8, 16, 32] or "1,8,16,32"',
    (v) => parseIntegerList(v, t.maxBatchSize),
  ),
  batch_waits: listLeaf(
    'Values of batching.batch_wait_timeout to try, e.g. [0ms, 2ms, 5ms, 10ms].',
    'list of durations',
    'a list of durations such as [0ms, 2ms, 5ms] or "0ms,2ms,5ms"',
    (v) => parseDurationList(v, t.batchWaitMs),
  ),
  replicas: listLeaf(
    'Replica counts to try, e.g. "1..4" or [1, 2, 4].',
    'list of integers',
    'replica counts such as "1..4" or [1, 2, 4]',
    (v) => parseIntegerList(v, { ...t.threads, min: 1, max: 1024 }),
  ),
  threads: listLeaf(
    'Values of runtime.threads to try (each replica asks for as many CPUs), e.g. [1, 2].',
    'list of integers',
    'thread counts such as [1, 2] or "1..4"',
    (v) => parseIntegerList(v, t.threads),
  ),
});

export const costSection = section(
  'Prices `serve tune` ranks configurations by (per unit and hour); without them ' +
    'it ranks by replicas, then CPUs and GPUs per replica.',
  {
    cpu_hour: number({
      min: 0,
      unit: 'price',
      doc: 'Price of one CPU (resources.cpus) for an hour.',
      defaultText: 'none',
    }),
    gpu_hour: number({
      min: 0,
      unit: 'price',
      doc: 'Price of one GPU (resources.gpus) for an hour.',
      defaultText: 'none',
    }),
    gib_hour: number({
      min: 0,
      unit: 'price',
      doc: 'Price of one GiB of memory (resources.memory) for an hour.',
      defaultText: 'none',
    }),
  },
);
