// Keeps values that came from the environment out of profile problems (control plane): such values
// are often secrets (`api_key: ${API_KEY}`), so a problem names the ${VAR} reference instead.
import { formatValue, type Node, type Section } from './fields/fields.js';
import type { ProfileProblem } from './problems.js';
import type { Walked } from './walk.js';

/** Values shorter than this are not searched for in free text: "5" would match inside "15s". */
const MIN_SCRUBBED_LENGTH = 6;

/**
 * `problems` with every value from the environment replaced by its reference. The walk already
 * names references in its own messages; this covers the cross-field rules, which quote values as
 * `got 5` and `replicas.max (3)`, and then scrubs any longer environment value left in any message.
 */
export function hideEnvValues(problems: readonly ProfileProblem[], walked: Walked, tree: Section): ProfileProblem[] {
  if (walked.envValues.size === 0) return [...problems];
  const shown = [...walked.fromEnv].map(([path, ref]) => ({
    path,
    ref,
    text: formatValue(unitOf(tree, path), walked.values.get(path)),
  }));
  return problems.map((p) => {
    let message = p.message;
    for (const s of shown) {
      if (p.path === s.path && message.startsWith(`got ${s.text},`))
        message = `got ${s.ref},${message.slice(`got ${s.text},`.length)}`;
      message = message.split(`${s.path} (${s.text}`).join(`${s.path} (${s.ref}`);
    }
    for (const [name, value] of walked.envValues) {
      if (value.length >= MIN_SCRUBBED_LENGTH) message = message.split(value).join(`\${${name}}`);
    }
    return message === p.message ? p : { ...p, message };
  });
}

function unitOf(tree: Section, path: string): string {
  let node: Node | undefined = tree;
  for (const k of path.split('.')) node = node?.kind === 'section' ? node.fields[k] : undefined;
  return node?.kind === 'leaf' ? node.unit : '';
}
