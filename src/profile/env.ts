// `${VAR}` references in profile strings (control plane): expands them from an environment, so
// secrets and host-specific values stay out of the file. Pure; the loader adds positions.

/** A reference that could not be expanded; `index` is its offset in the original string. */
export interface EnvProblem {
  index: number;
  /** The reference as written, e.g. "${GATEWAY_HOST}". */
  ref: string;
  message: string;
}

/** A variable whose value went into an expansion (a default written in the file is not one). */
export interface EnvUse {
  name: string;
  /** The reference as written, e.g. "${API_KEY}". */
  ref: string;
  value: string;
}

export interface Expanded {
  value: string;
  /** True when the string held at least one reference (so plain scalars are re-typed). */
  changed: boolean;
  problems: EnvProblem[];
  /** Every variable whose value was used, in order: such values must not be echoed in messages. */
  used: EnvUse[];
}

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expands `${NAME}`, `${NAME:-default}` (default when unset or empty) and `${NAME-default}`
 * (default only when unset). `$${` writes a literal `${`. A missing variable is a problem that
 * names it and says how to fix it.
 */
export function expandEnv(text: string, env: Record<string, string | undefined>): Expanded {
  const problems: EnvProblem[] = [];
  const used: EnvUse[] = [];
  let out = '';
  let changed = false;
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('$', i);
    if (at < 0) break;
    out += text.slice(i, at);
    if (text.startsWith('$${', at)) {
      out += '${';
      i = at + 3;
      changed = true;
      continue;
    }
    if (text[at + 1] !== '{') {
      out += '$';
      i = at + 1;
      continue;
    }
    const close = text.indexOf('}', at);
    if (close < 0) {
      problems.push({
        index: at,
        ref: text.slice(at),
        message:
          `unclosed reference "${text.slice(at)}", expected \${NAME} or \${NAME:-default} ` +
          `(write $\${ for a literal \${)`,
      });
      return { value: text, changed: true, problems, used };
    }
    const ref = text.slice(at, close + 1);
    const body = text.slice(at + 2, close);
    const m = /^([^:-]*)(?:(:?-)(.*))?$/s.exec(body)!;
    const name = m[1]!;
    changed = true;
    i = close + 1;
    if (!namePattern.test(name)) {
      problems.push({
        index: at,
        ref,
        message:
          `bad reference "${ref}": "${name}" is not a variable name, expected \${NAME} or ` +
          `\${NAME:-default} with letters, digits and _`,
      });
      continue;
    }
    const value = env[name];
    const useDefault = m[2] === ':-' ? value === undefined || value === '' : m[2] === '-' ? value === undefined : false;
    if (useDefault) out += m[3] ?? '';
    else if (value === undefined)
      problems.push({
        index: at,
        ref,
        message:
          `environment variable ${name} is not set (referenced as "${ref}"): set it, or ` +
          `give a default with \${${name}:-value}`,
      });
    else {
      out += value;
      used.push({ name, ref, value });
    }
  }
  out += text.slice(i);
  return { value: out, changed, problems, used };
}

/**
 * `value` (plain JSON: strings, numbers, lists, mappings) with every string expanded as expandEnv
 * does; numbers stay numbers. Problems and used variables of all strings are collected.
 */
export function expandDeep(
  value: unknown,
  env: Record<string, string | undefined>,
): { value: unknown; problems: EnvProblem[]; used: EnvUse[] } {
  const problems: EnvProblem[] = [];
  const used: EnvUse[] = [];
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('$')) return v;
      const e = expandEnv(v, env);
      problems.push(...e.problems);
      used.push(...e.used);
      return e.value;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { value: walk(value), problems, used };
}
