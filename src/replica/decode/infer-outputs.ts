// The "outputs" and "parameters" of an OIP v2 infer request (data plane, replica): which outputs to
// return and whether in binary; every problem is a 400 naming the field.
import { badRequest } from '../http-error.js';
import type { RequestedOutput } from '../infer-request.js';
import type { ServedModel } from '../served-model.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The outputs `doc` asks for (all of them when it names none). */
export function parseOutputs(doc: Json, model: ServedModel): RequestedOutput[] {
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
export function clip(s: string): string {
  const t = s.replace(/[\r\n\t]/g, ' ');
  return t.length > 64 ? `${t.slice(0, 61)}...` : t;
}
