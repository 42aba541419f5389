// The JSON Schema of profile files (control plane), generated from the profile tree's zod schemas so
// editors complete and check profiles; profiles/profile.schema.json is this, kept current by a test.
import { z } from 'zod';
import type { Node } from './fields/fields.js';
import { profileTree } from './schema.js';

/** The zod schema of a whole profile's YAML input (strict: unknown keys are rejected). */
export function profileInputSchema(): z.ZodType {
  return toZod(profileTree);
}

function toZod(node: Node): z.ZodType {
  if (node.kind === 'leaf') return node.schema;
  if (node.kind === 'list') {
    const items = z.array(toZod(node.item));
    return (node.maxItems === undefined ? items : items.max(node.maxItems)).meta({ description: node.doc });
  }
  if (node.kind === 'map')
    // The key's own schema, so an editor checks names too (env: variable names).
    return z.record(node.key.schema as z.ZodString, toZod(node.value)).meta({ description: node.doc });
  const shape: Record<string, z.ZodType> = {};
  for (const [key, child] of Object.entries(node.fields)) {
    const s = toZod(child);
    shape[key] = child.kind === 'leaf' && child.required ? s : s.optional();
  }
  return z.strictObject(shape).meta({ description: node.doc });
}

/** The JSON Schema (draft-07, what yaml-language-server reads) for profile files. */
export function profileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(profileInputSchema(), {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-07',
  }) as JsonObject;
  decorate(schema, profileTree);
  return {
    $schema: schema.$schema,
    $id: 'https://github.com/serve-cluster/serve/profiles/profile.schema.json',
    title: 'serve profile',
    ...schema,
  };
}

type JsonObject = Record<string, unknown>;

const envRef: JsonObject = {
  type: 'string',
  pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*((:?-)[^}]*)?\\}',
  description: 'A ${VAR} or ${VAR:-default} reference, expanded when the profile loads.',
};

/**
 * Adds what zod's input-side schema leaves out: each leaf's default (zod drops defaults of
 * transformed fields) and, for fields that are not plain strings, the `${VAR}` form, so an editor
 * does not flag `port: ${SERVE_PORT:-8000}`.
 */
function decorate(json: JsonObject, node: Node): void {
  if (node.kind === 'list') {
    if (json.items) decorate(json.items as JsonObject, node.item);
    return;
  }
  if (node.kind === 'section') {
    const props = (json.properties ?? {}) as Record<string, JsonObject>;
    for (const [key, child] of Object.entries(node.fields)) if (props[key]) decorate(props[key], child);
    return;
  }
  if (node.kind === 'map') {
    if (typeof json.additionalProperties === 'object') decorate(json.additionalProperties as JsonObject, node.value);
    return;
  }
  const { description, default: _dropped, ...rest } = json;
  for (const k of Object.keys(json)) delete json[k];
  if (rest.type === 'string' && rest.pattern === undefined && rest.enum === undefined && rest.const === undefined)
    Object.assign(json, rest);
  else json.anyOf = [rest, envRef];
  json.description = description ?? node.doc;
  if (node.default !== undefined) json.default = node.default;
}

/** The schema file's text: pretty JSON with a trailing newline. */
export function profileJsonSchemaText(): string {
  return JSON.stringify(profileJsonSchema(), null, 2) + '\n';
}
