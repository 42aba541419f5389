// A protobuf text-format writer (export plane, pure) for Triton's config.pbtxt: messages as nested
// blocks, repeated scalars as [a, b], repeated messages and map entries as repeated blocks.

/** An enum value, written bare (KIND_GPU), not quoted. */
export class PbEnum {
  constructor(readonly name: string) {}
}

export type PbValue = string | number | boolean | PbEnum | PbMessage | PbValue[];
export interface PbMessage {
  [field: string]: PbValue | undefined;
}

function scalar(v: string | number | boolean | PbEnum): string {
  if (v instanceof PbEnum) return v.name;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`cannot write ${v} in protobuf text`);
  return String(v);
}

function isMessage(v: PbValue): v is PbMessage {
  return typeof v === 'object' && !(v instanceof PbEnum) && !Array.isArray(v);
}

function emit(msg: PbMessage, indent: string, out: string[]): void {
  for (const [field, value] of Object.entries(msg)) {
    if (value === undefined) continue;
    const items = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && !value.some(isMessage)) {
      out.push(
        `${indent}${field}: [ ` + `${value.map((v) => scalar(v as string | number | boolean | PbEnum)).join(', ')} ]`,
      );
      continue;
    }
    for (const item of items) {
      if (isMessage(item)) {
        out.push(`${indent}${field} {`);
        emit(item, `${indent}  `, out);
        out.push(`${indent}}`);
      } else out.push(`${indent}${field}: ${scalar(item as string | number | boolean | PbEnum)}`);
    }
  }
}

/** The text of one message, with `header` lines as # comments on top. */
export function pbtxt(msg: PbMessage, header: readonly string[] = []): string {
  const out = header.map((l) => (l ? `# ${l}` : '#'));
  emit(msg, '', out);
  return out.join('\n') + '\n';
}
