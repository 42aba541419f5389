// Validates Kubernetes objects against a vendored CRD schema with Ajv, strict about unknown fields
// as `kubectl apply --validate=strict` is: every object schema that lists properties and does not
// keep unknown fields gets additionalProperties: false; metadata gets the ObjectMeta fields we use.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { repoRoot } from '../helpers/paths.js';

type Schema = Record<string, unknown>;

function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [
      k,
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as Schema).map(([pk, pv]) => [pk, strict(pv)]))
        : strict(v),
    ]),
  ) as Schema;
  if (
    s.properties !== undefined &&
    s.additionalProperties === undefined &&
    s['x-kubernetes-preserve-unknown-fields'] !== true
  )
    s.additionalProperties = false;
  return s;
}

const objectMeta = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

/** A validator for the CRD schema in test/export/schemas/`file`; returns the errors (empty when valid). */
export function crdValidator(file: string): (doc: unknown) => ErrorObject[] {
  const schema = strict(JSON.parse(readFileSync(path.join(repoRoot, 'test/export/schemas', file), 'utf8'))) as Schema;
  (schema.properties as Schema).metadata = objectMeta;
  return ajvValidator(schema);
}

/** An Ajv validator for `schema` with the Kubernetes/OpenAPI formats and keywords known. */
export function ajvValidator(schema: Schema): (doc: unknown) => ErrorObject[] {
  const ajv = new Ajv({ allErrors: true, strictSchema: false, strictTypes: false });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  for (const f of ['double', 'float', 'byte', 'date-time', 'duration']) ajv.addFormat(f, true);
  const validate = ajv.compile(schema);
  return (doc) => (validate(doc) ? [] : [...(validate.errors ?? [])]);
}

/** Errors as lines: "/spec/predictor: must NOT have additional properties (minReplica)". */
export function show(errors: ErrorObject[]): string {
  return errors
    .map(
      (e) =>
        `${e.instancePath || '/'}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
    )
    .join('\n');
}
