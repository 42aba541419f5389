// A small protobuf text-format reader for the tests (Triton's config.pbtxt), and a check of what
// it read against a message type that protobufjs loaded from Triton's own model_config.proto.
import protobuf from 'protobufjs';

/** One field as written: `name: value`, `name [a, b]` or `name { ... }`. */
export interface TextField {
  name: string;
  /** Scalars as written (numbers and identifiers unquoted; strings unescaped), or a nested message. */
  values: Array<{ kind: 'number' | 'ident' | 'string'; text: string } | { kind: 'message'; fields: TextField[] }>;
}

type Token = { t: 'punct' | 'ident' | 'number' | 'string'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s+|#[^\n]*|([{}[\]:,<>])|("(?:[^"\\]|\\.)*")|(-?[0-9][0-9.eE+-]*)|([A-Za-z_][A-Za-z0-9_.]*)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < src.length) {
    const at = re.lastIndex;
    m = re.exec(src);
    if (!m || m.index !== at)
      throw new Error(`protobuf text: unexpected character at ${at}: ${JSON.stringify(src.slice(at, at + 20))}`);
    if (m[1]) out.push({ t: 'punct', v: m[1] });
    else if (m[2]) out.push({ t: 'string', v: JSON.parse(m[2]) as string });
    else if (m[3]) out.push({ t: 'number', v: m[3] });
    else if (m[4]) out.push({ t: 'ident', v: m[4] });
  }
  return out;
}

/** Parses protobuf text format into fields (throws on a syntax error). */
export function parsePbtxt(src: string): TextField[] {
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const take = (v?: string) => {
    const tok = toks[i++];
    if (!tok || (v !== undefined && tok.v !== v))
      throw new Error(`protobuf text: expected ${v ?? 'a token'}, got ${tok?.v ?? 'the end'}`);
    return tok;
  };
  const scalar = () => {
    const tok = take();
    if (tok.t === 'punct') throw new Error(`protobuf text: expected a value, got ${tok.v}`);
    return { kind: tok.t, text: tok.v } as { kind: 'number' | 'ident' | 'string'; text: string };
  };
  const message = (end: string | undefined): TextField[] => {
    const fields: TextField[] = [];
    while (peek() && peek()!.v !== end) {
      const name = take();
      if (name.t !== 'ident') throw new Error(`protobuf text: expected a field name, got ${name.v}`);
      const colon = peek()?.v === ':' ? (take(), true) : false;
      const open = peek()?.v;
      if (open === '{' || open === '<') {
        take();
        fields.push({ name: name.v, values: [{ kind: 'message', fields: message(open === '{' ? '}' : '>') }] });
        take(open === '{' ? '}' : '>');
      } else if (!colon) throw new Error(`protobuf text: field ${name.v} needs ":" before a scalar`);
      else if (open === '[') {
        take('[');
        const values = [];
        while (peek()?.v !== ']') {
          values.push(scalar());
          if (peek()?.v === ',') take(',');
        }
        take(']');
        fields.push({ name: name.v, values });
      } else fields.push({ name: name.v, values: [scalar()] });
    }
    return fields;
  };
  const fields = message(undefined);
  if (i !== toks.length) throw new Error('protobuf text: trailing tokens');
  return fields;
}

const NUMERIC = new Set([
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'float',
  'double',
]);

/** Every problem of `fields` read as a `type` message ("path: why"); empty when it is a valid one. */
export function checkMessage(fields: TextField[], type: protobuf.Type, at = ''): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const f of fields) {
    const where = at ? `${at}.${f.name}` : f.name;
    const field = type.fields[f.name];
    if (!field) {
      problems.push(`${where}: no such field in ${type.fullName} (fields: ${Object.keys(type.fields).join(', ')})`);
      continue;
    }
    seen.set(f.name, (seen.get(f.name) ?? 0) + f.values.length);
    for (const v of f.values) {
      if (field.map) {
        if (v.kind !== 'message') problems.push(`${where}: a map entry is a { key value } block`);
        else problems.push(...checkMapEntry(v.fields, field as unknown as protobuf.MapField, where));
        continue;
      }
      const resolved = field.resolve().resolvedType;
      if (resolved instanceof protobuf.Type) {
        if (v.kind !== 'message') problems.push(`${where}: ${field.type} is a message, got ${v.text}`);
        else problems.push(...checkMessage(v.fields, resolved, where));
      } else if (resolved instanceof protobuf.Enum) {
        if (v.kind !== 'ident' || !(v.text in resolved.values))
          problems.push(
            `${where}: not a value of enum ${resolved.name} (${Object.keys(resolved.values).join(', ')}): ${v.kind === 'message' ? '{...}' : v.text}`,
          );
      } else problems.push(...checkScalar(field.type, v, where));
    }
  }
  for (const [name, count] of seen) {
    const field = type.fields[name]!;
    if (count > 1 && !field.repeated && !field.map)
      problems.push(`${at ? `${at}.` : ''}${name}: written ${count} times but not repeated`);
  }
  return problems;
}

function checkScalar(protoType: string, v: TextField['values'][number], where: string): string[] {
  if (v.kind === 'message') return [`${where}: ${protoType} is a scalar, got a block`];
  if (NUMERIC.has(protoType)) {
    const n = Number(v.text);
    if (v.kind !== 'number' || !Number.isFinite(n)) return [`${where}: ${protoType} needs a number, got ${v.text}`];
    if (/^(u|fixed)/.test(protoType) && n < 0) return [`${where}: ${protoType} cannot be negative`];
    if (/int|fixed/.test(protoType) && !Number.isInteger(n)) return [`${where}: ${protoType} needs a whole number`];
    return [];
  }
  if (protoType === 'bool')
    return v.kind === 'ident' && (v.text === 'true' || v.text === 'false')
      ? []
      : [`${where}: bool needs true or false, got ${v.text}`];
  if (protoType === 'string' || protoType === 'bytes')
    return v.kind === 'string' ? [] : [`${where}: ${protoType} needs a quoted string, got ${v.text}`];
  return [`${where}: unknown type ${protoType}`];
}

function checkMapEntry(fields: TextField[], field: protobuf.MapField, where: string): string[] {
  const problems: string[] = [];
  const key = fields.filter((f) => f.name === 'key');
  const value = fields.filter((f) => f.name === 'value');
  if (key.length !== 1 || value.length !== 1 || fields.length !== 2)
    return [`${where}: a map entry needs one key and one value`];
  problems.push(...checkScalar(field.keyType, key[0]!.values[0]!, `${where}.key`));
  const resolved = field.resolve().resolvedType;
  const v = value[0]!.values[0]!;
  if (resolved instanceof protobuf.Type) {
    if (v.kind !== 'message') problems.push(`${where}.value: ${field.type} is a message`);
    else problems.push(...checkMessage(v.fields, resolved, `${where}.value`));
  } else problems.push(...checkScalar(field.type, v, `${where}.value`));
  return problems;
}

/** Triton's ModelConfig message type from the vendored model_config.proto. */
export function tritonModelConfigType(protoText: string): protobuf.Type {
  const root = protobuf.parse(protoText, { keepCase: true }).root;
  root.resolveAll();
  return root.lookupType('inference.ModelConfig');
}

/** The single value of a top-level or nested field path ("dynamic_batching.max_queue_delay_microseconds"). */
export function valueAt(fields: TextField[], dotted: string): string | TextField[] | undefined {
  let current: TextField[] | undefined = fields;
  const parts = dotted.split('.');
  for (const [i, part] of parts.entries()) {
    const f: TextField | undefined = current?.find((x) => x.name === part);
    const v: TextField['values'][number] | undefined = f?.values[0];
    if (v === undefined) return undefined;
    if (i === parts.length - 1) return v.kind === 'message' ? v.fields : v.text;
    current = v.kind === 'message' ? v.fields : undefined;
  }
  return undefined;
}
