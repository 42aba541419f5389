// Parsing and validation of one OIP v2 infer request body against the served model (data plane,
// replica). Every problem is a 400 naming the input and field; only exact requests reach the batcher.
// The JSON is first scanned straight into typed arrays (decode/infer-scan.ts); whatever the scan
// does not take, and every refused request, goes through JSON.parse, which words the 400.
import { badRequest } from './http-error.js';
import { jsonDepth, mayNestDeeperThan } from './json-depth.js';
import { applyNormalize, type ServedModel, type ServedTensor } from './served-model.js';
import { decodeScanned, resetScratch } from './decode/data-scan.js';
import { fromJson } from './decode/infer-json-data.js';
import { clip, parseOutputs } from './decode/infer-outputs.js';
import { checkShape } from './decode/infer-shape.js';
import { ScannedDataRef, scanInferBody } from './decode/infer-scan.js';
import type { InferRequest, ParseLimits } from './infer-request.js';
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
  const jsonEnd = checkFraming(body, binaryHeaderLength, limits);
  const binary = binaryHeaderLength === undefined ? undefined : { body, offset: jsonEnd };
  return parseScanned(body, jsonEnd, binary, model, limits) ?? parseJson(body, jsonEnd, binary, model, limits);
}

/** parseInfer through JSON.parse only, as before the byte scan (the reference for tests and bench/json-decode). */
export function parseInferWithJsonParse(
  body: Buffer,
  binaryHeaderLength: number | undefined,
  model: ServedModel,
  limits: ParseLimits,
): InferRequest {
  const jsonEnd = checkFraming(body, binaryHeaderLength, limits);
  const binary = binaryHeaderLength === undefined ? undefined : { body, offset: jsonEnd };
  return parseJson(body, jsonEnd, binary, model, limits);
}

/** parseInfer's byte scan alone: undefined where it gives up or the request is refused (tests). */
export function parseInferScanned(
  body: Buffer,
  binaryHeaderLength: number | undefined,
  model: ServedModel,
  limits: ParseLimits,
): InferRequest | undefined {
  const jsonEnd = checkFraming(body, binaryHeaderLength, limits);
  const binary = binaryHeaderLength === undefined ? undefined : { body, offset: jsonEnd };
  return parseScanned(body, jsonEnd, binary, model, limits);
}

/** The end of the JSON part, once the header length, emptiness and nesting depth are checked. */
function checkFraming(body: Buffer, binaryHeaderLength: number | undefined, limits: ParseLimits): number {
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
  return jsonEnd;
}

function parseJson(body: Buffer, jsonEnd: number, binary: Binary, model: ServedModel, limits: ParseLimits) {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8', 0, jsonEnd));
  } catch (err) {
    throw badRequest(`request body is not valid JSON (${jsonReason(err)})`);
  }
  return parseDocument(doc, binary, model, limits, fromJson);
}

type Binary = { body: Buffer; offset: number } | undefined;
type DecodeData = typeof fromJson;

/** The request from the byte scan, or undefined when the scan gives up or finds the request wrong. */
function parseScanned(body: Buffer, jsonEnd: number, binary: Binary, model: ServedModel, limits: ParseLimits) {
  resetScratch();
  try {
    const doc = scanInferBody(body, jsonEnd, model);
    return doc === undefined ? undefined : parseDocument(doc, binary, model, limits, decodeScannedData);
  } catch {
    // Refused: the JSON.parse path refuses it again with the same words (it checks in the same order).
    return undefined;
  } finally {
    resetScratch();
  }
}

const decodeScannedData: DecodeData = (data, tensor, count, shape) => {
  if (!(data instanceof ScannedDataRef)) return fromJson(data, tensor, count, shape);
  const out = decodeScanned(data.scanned, tensor, count, shape);
  if (out === undefined) throw new Error('scanned data left to fromJson');
  return out;
};

/** The request in `doc` (parsed JSON, or the scan's document); normalizes only once all is checked. */
function parseDocument(doc: unknown, binary: Binary, model: ServedModel, limits: ParseLimits, decode: DecodeData) {
  if (!isObject(doc)) throw badRequest('request body must be a JSON object with an "inputs" array');
  const id = doc.id === undefined ? undefined : typeof doc.id === 'string' ? doc.id : undefined;
  if (doc.id !== undefined && id === undefined) throw badRequest('"id" must be a string');
  const { inputs, rows } = parseInputs(doc.inputs, binary, model, limits, decode);
  const request: InferRequest = { id, rows, inputs, outputs: parseOutputs(doc, model) };
  if (model.normalize) applyNormalize(model.normalize, inputs[model.normalize.inputIndex] as Float32Array);
  return request;
}

function jsonReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : '';
  // V8 messages quote a snippet of the input; keep only the kind and position.
  const pos = /position (\d+)/.exec(msg);
  if (/Unexpected end/.test(msg)) return 'unexpected end of input';
  return pos ? `unexpected token at position ${pos[1]}` : 'syntax error';
}

function parseInputs(raw: unknown, binary: Binary, model: ServedModel, limits: ParseLimits, decode: DecodeData) {
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
      inputs[tensor.index] = decode(item.data, tensor, count, shape);
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
  return { inputs, rows };
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
