// Parses profile text into a Profile (control plane): YAML with line numbers, the tree walk, the
// cross-field rules, then normalization. Pure apart from reading process.env by default and the
// gateway's tokens file, when the profile names one.
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { displayName } from './display-name.js';
import { resolveGatewaySecurity } from './gateway-security.js';
import { toProfile } from './normalize.js';
import { ProfileError, type ProfileProblem } from './problems.js';
import { hideEnvValues } from './redact.js';
import { checkRules } from './rules.js';
import { profileTree } from './schema.js';
import type { Profile } from './types.js';
import { walkProfile } from './walk.js';
import { MAX_NESTING_LEVELS, tooDeepAt } from './yaml-limits.js';

/** Variables serve sets itself: their values are paths, not secrets, and may be shown. */
const publicVars: ReadonlySet<string> = new Set(['PROFILE_DIR']);

/**
 * Parses and validates one profile. Every problem in the text (YAML syntax, unknown keys, wrong
 * types, bad units, out-of-range values, cross-field rules, missing ${VAR}s) is collected and thrown
 * at once as one ProfileError (a UserError, exit code 2) whose details are `file:line:col field: ...`.
 *
 * @param sourcePath the file the text came from; relative paths are taken from `cwd`.
 * @param env variables for `${VAR}` references (default process.env); `${PROFILE_DIR}` is always
 *   the profile file's folder.
 * @param cwd resolves a relative model.registry and sourcePath (default process.cwd()).
 */
export function parseProfile(
  text: string,
  sourcePath: string,
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): Profile {
  const absolute = sourcePath === '' ? '' : path.resolve(cwd, sourcePath);
  const file = displayName(absolute, cwd) || '<profile>';
  const { doc, lines } = readYaml(text, file);
  const fullEnv = { ...env, PROFILE_DIR: absolute === '' ? cwd : path.dirname(absolute) };
  const walked = walkProfile({ doc, lines, text, file, env: fullEnv, publicVars }, profileTree);
  const security = resolveGatewaySecurity(walked, file, cwd);
  const problems = hideEnvValues(
    [...walked.problems, ...checkRules(walked, profileTree, file), ...security.problems],
    walked,
    profileTree,
  );
  if (problems.length > 0) throw new ProfileError(file, problems);
  return toProfile(walked, absolute, path.basename(absolute || 'profile', path.extname(absolute)), cwd, security);
}

/**
 * Parses YAML text with line numbers, refusing nesting deeper than any profile needs and throwing a
 * ProfileError for syntax errors (after one, the structure is a guess: field problems would mislead).
 */
export function readYaml(text: string, file: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    // yaml's composer recurses once per level: refuse before it can run out of stack.
    const at = lineColAt(text, deep);
    throw new ProfileError(file, [
      {
        file,
        ...at,
        path: '',
        message:
          `mappings and lists nest deeper than ${MAX_NESTING_LEVELS} levels here, which ` +
          `no profile needs (at most 4): flatten the structure`,
      },
    ]);
  }
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const problems: ProfileProblem[] = doc.errors.map((e) => {
      const at = lines.linePos(e.pos[0]);
      return { file, line: at.line, col: at.col, path: '', message: `YAML syntax error: ${e.message}` };
    });
    throw new ProfileError(file, problems);
  }
  return { doc, lines };
}

/** 1-based line and column of `offset` in `text`. */
function lineColAt(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}
