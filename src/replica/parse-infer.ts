// Parsing and validation of one OIP v2 infer request body against the served model (data plane,
// replica). Every problem is a 400 naming the input and field; only exact requests reach the batcher.
import { badRequest, HttpError } from './http-error.js';
import { jsonDepth, mayNestDeeperThan } from './json-depth.js';
import { applyNormalize, type ServedModel, type ServedTensor } from './served-model.js';
import { fromJson } from './infer-json-data.js';
import type { InferRequest, ParseLimits, RequestedOutput } from './infer-request.js';
import { elementCount, firstNonFinite, fromBytes, type TensorData } from './tensor.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses `body`. `binaryHeaderLength` is the Inference-Header-Content-Length value (undefined when
 * the whole body is JSON). Throws HttpError(400/413) on any problem.
 */
export function parseInfer(
  body: Buffer,
  binaryHeaderLength: number | undefined,
  model: ServedModel,
  limits: ParseLimits,
): InferRequest {
  const jsonEnd = binaryHeaderLength ?? body.length;
  if (jsonEnd > body.length) {
    throw badRequest(`Inference-Header-Content-Length is ${jsonEnd} but the body has only ` + `${body.length} bytes`);
  }
  if (jsonEnd === 0) throw badRequest('request body is empty: send {"inputs": [...]}');
  if (
    mayNestDeeperThan(body, 0, jsonEnd, limits.maxJsonDepth) &&
    jsonDepth(body, 0, jsonEnd, limits.maxJsonDepth) > limits.maxJsonDepth
  ) {
    throw badRequest(`JSON nesting is deeper than ${limits.maxJsonDepth} levels`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8', 0, jsonEnd));
  } catch (err) {
    throw badRequest(`request body is not valid JSON (${jsonReason(err)})`);
  }
  if (!isObject(doc)) throw badRequest('request body must be a JSON object with an "inputs" array');
  const id = doc.id === undefined ? undefined : typeof doc.id === 'string' ? doc.id : undefined;
  if (doc.id !== undefined && id === undefined) throw badRequest('"id" must be a string');
  const binary = binaryHeaderLength === undefined ? undefined : { body, offset: jsonEnd };
  const { inputs, rows } = parseInputs(doc.inputs, binary, model, limits);
  return { id, rows, inputs, outputs: parseOutputs(doc, model) };
}

function jsonReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : '';
  // V8 messages quote a snippet of the input; keep only the kind and position.
  const pos = /position (\d+)/.exec(msg);
  if (/Unexpected end/.test(msg)) return 'unexpected end of input';
  return pos ? `unexpected token at position ${pos[1]}` : 'syntax error';
}

function parseInputs(
  raw: unknown,
  binary: { body: Buffer; offset: number } | undefined,
  model: ServedModel,
  limits: ParseLimits,
) {
  if (!Array.isArray(raw) || raw.length === 0) throw badRequest('"inputs" must be a non-empty array of tensors');
  const inputs = new Array<TensorData>(model.inputs.length);
  let rows = -1;
  let offset = binary?.offset ?? 0;
  for (let i = 0; i < raw.length; i++) {
    const item: unknown = raw[i];
    if (!isObject(item)) throw badRequest(`inputs[${i}] must be an object with name, datatype, shape and data`);
    if (typeof item.name !== 'string') throw badRequest(`inputs[${i}].name must be a string`);
    const tensor = model.inputByName.get(item.name);
    if (!tensor) {
      throw badRequest(
        `unknown input "${clip(item.name)}": model ${model.name} takes ` +
          `${model.inputs.map((t) => `"${t.name}"`).join(', ')}`,
      );
    }
    if (inputs[tensor.index] !== undefined) throw badRequest(`input "${tensor.name}" is given twice`);
    const shape = checkShape(item, tensor, limits);
    if (rows !== -1 && shape[0] !== rows)
      throw badRequest(`input "${tensor.name}" has ${shape[0]} rows but another input has ${rows}`);
    rows = shape[0]!;
    const count = elementCount(shape);
    const params = item.parameters;
    const binarySize = isObject(params) ? params.binary_data_size : undefined;
    if (binarySize !== undefined) {
      if (!binary)
        throw badRequest(
          `input "${tensor.name}" has binary_data_size but the request has no ` +
            `Inference-Header-Content-Length header`,
        );
      if (item.data !== undefined)
        throw badRequest(`input "${tensor.name}" has both "data" and binary_data_size: use one`);
      const need = count * tensor.dt.bytesPerElement;
      if (!Number.isInteger(binarySize) || (binarySize as number) !== need) {
        throw badRequest(
          `input "${tensor.name}": binary_data_size is ${JSON.stringify(binarySize)} ` +
            `bytes but shape [${shape.join(',')}] of ${tensor.dt.name} needs ${need}`,
        );
      }
      if (offset + need > binary.body.length) {
        throw badRequest(
          `input "${tensor.name}": binary data ends at byte ${offset + need} but the body ` +
            `has ${binary.body.length - binary.offset} bytes after the JSON header`,
        );
      }
      inputs[tensor.index] = fromBytes(tensor.dt, binary.body, offset, count);
      offset += need;
    } else {
      if (item.data === undefined)
        throw badRequest(`input "${tensor.name}" has no "data" (or parameters.binary_data_size)`);
      inputs[tensor.index] = fromJson(item.data, tensor, count, shape);
    }
    checkValues(inputs[tensor.index]!, tensor, limits);
  }
  if (binary && offset !== binary.body.length) {
    throw badRequest(
      `body has ${binary.body.length - offset} bytes after the last binary tensor: ` +
        `binary_data_size values must add up to the binary part`,
    );
  }
  const missing = model.inputs.filter((t) => inputs[t.index] === undefined).map((t) => `"${t.name}"`);
  if (missing.length > 0)
    throw badRequest(`missing input ${missing.join(', ')}: model ${model.name} needs every input`);
  if (model.normalize) applyNormalize(model.normalize, inputs[model.normalize.inputIndex] as Float32Array);
  return { inputs, rows };
}

function checkShape(item: Json, tensor: ServedTensor, limits: ParseLimits): number[] {
  const shape = item.shape;
  // Built only for an error message: the valid request path allocates no strings here.
  const want = () => `[${tensor.shape.map((d) => (d < 0 ? 'N' : d)).join(',')}]`;
  if (item.datatype !== tensor.dt.name) {
    throw badRequest(
      `input "${tensor.name}" has datatype ${clip(String(item.datatype))}, the model ` + `expects ${tensor.dt.name}`,
    );
  }
  if (!isShape(shape)) {
    throw badRequest(
      `input "${tensor.name}": "shape" must be an array of non-negative integers, ` + `expected ${want()}`,
    );
  }
  if (shape.length !== tensor.shape.length) {
    throw badRequest(
      `input "${tensor.name}" has rank ${shape.length} (shape [` +
        `${shape.slice(0, 8).join(',')}]), the model expects rank ${tensor.shape.length} ` +
        `${want()}`,
    );
  }
  for (let d = 1; d < shape.length; d++) {
    if (shape[d] !== tensor.shape[d]) {
      throw badRequest(
        `input "${tensor.name}" dimension ${d} is ${shape[d]}, the model expects ` + `${tensor.shape[d]} ${want()}`,
      );
    }
  }
  if (shape[0] < 1) throw badRequest(`input "${tensor.name}" has 0 rows: send at least one`);
  if (shape[0] > limits.maxRowsPerRequest) {
    throw new HttpError(
      400,
      `input "${tensor.name}" has ${shape[0]} rows; this replica takes at most ` +
        `${limits.maxRowsPerRequest} per request (--max-batch-size)`,
    );
  }
  return shape as number[];
}

function isShape(shape: unknown): shape is number[] {
  if (!Array.isArray(shape)) return false;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (!Number.isInteger(d) || (d as number) < 0) return false;
  }
  return true;
}

function checkValues(data: TensorData, tensor: ServedTensor, limits: ParseLimits): void {
  if (!tensor.dt.isFloat || limits.allowNonFinite) return;
  const at = firstNonFinite(data as Float32Array);
  if (at >= 0) {
    throw badRequest(
      `input "${tensor.name}" element ${at} is ${data[at]}: NaN and Infinity are ` +
        `rejected (start the replica with --allow-nonfinite to accept them)`,
    );
  }
}

function parseOutputs(doc: Json, model: ServedModel): RequestedOutput[] {
  const params = doc.parameters;
  if (params !== undefined && !isObject(params)) throw badRequest('"parameters" must be an object');
  const allBinary = params?.binary_data_output;
  if (allBinary !== undefined && typeof allBinary !== 'boolean')
    throw badRequest('parameters.binary_data_output must be true or false');
  if (doc.outputs === undefined) return model.outputs.map((tensor) => ({ tensor, binary: allBinary === true }));
  if (!Array.isArray(doc.outputs)) throw badRequest('"outputs" must be an array of {"name": ...}');
  const seen = new Set<string>();
  return doc.outputs.map((o, i) => {
    if (!isObject(o) || typeof o.name !== 'string') throw badRequest(`outputs[${i}] must be an object with a "name"`);
    const tensor = model.outputByName.get(o.name);
    if (!tensor)
      throw badRequest(
        `unknown output "${clip(o.name)}": model ${model.name} produces ` +
          `${model.outputs.map((t) => `"${t.name}"`).join(', ')}`,
      );
    if (seen.has(o.name)) throw badRequest(`output "${o.name}" is requested twice`);
    seen.add(o.name);
    const p = o.parameters;
    if (p !== undefined && !isObject(p)) throw badRequest(`outputs[${i}].parameters must be an object`);
    const bin = p?.binary_data;
    if (bin !== undefined && typeof bin !== 'boolean')
      throw badRequest(`outputs[${i}].parameters.binary_data must be true or false`);
    return { tensor, binary: bin ?? allBinary === true };
  });
}

/** Keeps echoed client strings short (and free of newlines) in error messages. */
function clip(s: string): string {
  const t = s.replace(/[\r\n\t]/g, ' ');
  return t.length > 64 ? `${t.slice(0, 61)}...` : t;
}
