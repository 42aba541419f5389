// Request bodies for a run (loadtest): seeded random tensors shaped from the model metadata, or
// recorded requests replayed from a JSON-lines file; JSON or Triton's binary tensor extension.
import { readFile } from 'node:fs/promises';
import { UserError } from '../common/errors.js';
import { BINARY_HEADER_LENGTH } from '../common/wire.js';
import { seededRandom } from '../common/random.js';
import { concreteShape, elementCount, encodeBinary, isKnownDatatype, randomValues } from './tensors.js';
import type { ModelMetadata } from './oip.js';

/** A ready-to-send infer request. */
export interface Payload {
  body: Buffer;
  headers: Record<string, string>;
}

/** One input tensor of an infer request (JSON form). */
export interface InputTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: Array<number | boolean | string>;
}

/** How many distinct generated payloads a run cycles through. */
const generatedCount = 32;

/** Encodes one request's inputs as JSON or as the binary extension. */
export function encodeRequest(inputs: readonly InputTensor[], binary: boolean): Payload {
  if (!binary) {
    const body = Buffer.from(JSON.stringify({ inputs }));
    return { body, headers: { 'content-type': 'application/json' } };
  }
  const tensors = inputs.map((t) =>
    encodeBinary(t.datatype, t.data.flat(Infinity as 1) as Array<number | boolean | string>),
  );
  const header = Buffer.from(
    JSON.stringify({
      inputs: inputs.map((t, i) => ({
        name: t.name,
        shape: t.shape,
        datatype: t.datatype,
        parameters: { binary_data_size: tensors[i]!.length },
      })),
    }),
  );
  return {
    body: Buffer.concat([header, ...tensors]),
    headers: { 'content-type': 'application/octet-stream', [BINARY_HEADER_LENGTH]: String(header.length) },
  };
}

/** Seeded random payloads with the metadata's shapes (dynamic dimensions set to 1). */
export function generatePayloads(
  meta: ModelMetadata,
  binary: boolean,
  seed: number,
  count = generatedCount,
): Payload[] {
  for (const t of meta.inputs) {
    if (!isKnownDatatype(t.datatype)) {
      throw new UserError(
        `input "${t.name}" of model "${meta.name}" has datatype ${t.datatype}, which ` +
          `the generator cannot fill: use --requests FILE`,
      );
    }
  }
  const random = seededRandom(seed);
  const payloads: Payload[] = [];
  for (let i = 0; i < count; i++) {
    const inputs = meta.inputs.map((t) => {
      const shape = concreteShape(t.shape);
      return { name: t.name, shape, datatype: t.datatype, data: randomValues(t.datatype, elementCount(shape), random) };
    });
    payloads.push(encodeRequest(inputs, binary));
  }
  return payloads;
}

/** Reads a JSON-lines file of infer request bodies (`{"inputs": [...]}` a line); blank lines skipped. */
export async function loadReplayPayloads(file: string, binary: boolean): Promise<Payload[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `--requests ${file}: cannot read the file (` + `${(err as { code?: string }).code ?? 'error'})`,
    );
  }
  const payloads: Payload[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let req: { inputs?: InputTensor[] };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      throw new UserError(
        `--requests ${file}:${i + 1}: not valid JSON; each line must be one infer ` + `request like {"inputs":[...]}`,
      );
    }
    if (
      !req ||
      !Array.isArray(req.inputs) ||
      req.inputs.some((t) => !t || !Array.isArray(t.data) || !Array.isArray(t.shape))
    ) {
      throw new UserError(`--requests ${file}:${i + 1}: expected ` + `{"inputs":[{"name","shape","datatype","data"}]}`);
    }
    payloads.push(
      binary
        ? encodeRequest(req.inputs, true)
        : { body: Buffer.from(line), headers: { 'content-type': 'application/json' } },
    );
  }
  if (payloads.length === 0) throw new UserError(`--requests ${file}: the file holds no requests`);
  return payloads;
}
