// Encoding of an OIP v2 infer response (data plane, replica): plain JSON, or Triton's binary
// tensor extension (JSON header + raw little-endian tensors, Inference-Header-Content-Length).
import type { RequestedOutput } from './infer-request.js';
import type { ServedModel } from './served-model.js';
import type { SessionTensor } from './session.js';
import { toBytes, toJsonArray } from './tensor.js';

/** A response ready to write: the body and, for binary responses, the JSON header length. */
export interface EncodedResponse {
  body: Buffer;
  /** Set when the body carries binary tensors after a JSON header of this many bytes. */
  headerLength: number | undefined;
}

/** Encodes `outputs` (this request's rows of every model output, in model order). */
export function encodeInferResponse(
  model: ServedModel,
  id: string | undefined,
  wanted: readonly RequestedOutput[],
  outputs: readonly SessionTensor[],
): EncodedResponse {
  let binaryBytes = 0;
  const described = wanted.map(({ tensor, binary }) => {
    const out = outputs[tensor.index]!;
    const base = { name: tensor.name, datatype: tensor.dt.name, shape: out.dims };
    if (!binary) return { ...base, data: toJsonArray(tensor.dt, out.data) };
    binaryBytes += out.data.byteLength;
    return { ...base, parameters: { binary_data_size: out.data.byteLength } };
  });
  const doc: Record<string, unknown> = { model_name: model.name, model_version: String(model.version) };
  if (id !== undefined) doc.id = id;
  doc.outputs = described;
  const json = JSON.stringify(doc);
  if (binaryBytes === 0) return { body: Buffer.from(json), headerLength: undefined };
  const headerLength = Buffer.byteLength(json);
  const body = Buffer.allocUnsafe(headerLength + binaryBytes);
  body.write(json, 0, 'utf8');
  let offset = headerLength;
  for (const { tensor, binary } of wanted) {
    if (!binary) continue;
    const bytes = toBytes(outputs[tensor.index]!.data);
    body.set(bytes, offset);
    offset += bytes.length;
  }
  return { body, headerLength };
}
