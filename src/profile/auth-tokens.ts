// The gateway's bearer tokens in a profile (control plane): `gateway.auth.tokens`, a list of strings
// (usually "${ENV_VAR}") or {token, name, requests_per_second, burst}, checked and hashed as they
// load, so the Profile only ever holds digests. No message here ever quotes a token.
import { z } from 'zod';
import { hashToken, tokenProblem } from '../common/auth.js';
import type { Leaf } from './fields/fields.js';

/** A token of the profile once loaded: its digest, optional name and quota. */
export interface ProfileToken {
  name?: string;
  sha256: string;
  requestsPerSecond?: number;
  burst?: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const TOKEN_NAME_RULE = 'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64';

/** The quota fields of a token, shared with the tokens file. */
export const quotaSchema = {
  requests_per_second: z.number().positive().max(1_000_000).optional(),
  burst: z.number().int().min(1).max(1_000_000).optional(),
};

const item = z.union([z.string(), z.strictObject({ token: z.string(), name: z.string().optional(), ...quotaSchema })]);

/** `item 2`, `item 2 requests_per_second`: where in the list an issue is, never what it holds. */
export function itemPath(path: readonly PropertyKey[]): string {
  const [index, ...rest] = path;
  const head = typeof index === 'number' ? `item ${index + 1}` : 'the list';
  return [head, ...rest.map(String)].join(' ');
}

/** The message of an issue of a secret leaf: its own when it wrote one (they never quote values), else where it is. */
export function secretIssue(i: { code: string; message: string; path: readonly PropertyKey[] }, leaf: Leaf): string {
  if (i.code === 'custom') return i.message;
  return i.path.length === 0
    ? `expected ${leaf.expected}`
    : `${itemPath(i.path)}: not valid here, expected ${leaf.expected}`;
}

/** Checks one token and its name; pushes issues at `path` without the values. */
export function checkToken(
  token: string,
  name: string | undefined,
  where: string,
  issue: (message: string) => void,
): void {
  const problem = tokenProblem(token);
  if (problem !== undefined) issue(`${where}: the token ${problem}`);
  if (name !== undefined && !NAME.test(name)) issue(`${where}: name must be ${TOKEN_NAME_RULE}`);
}

/** The tokens leaf: a list of at least one token; each checked, then hashed. */
export function tokensLeaf(doc: string): Leaf<ProfileToken[], true> {
  const schema = z
    .array(item)
    .min(1)
    .transform((items, ctx) => {
      const issue = (message: string) => ctx.issues.push({ code: 'custom', message, input: undefined });
      const out: ProfileToken[] = items.map((it, i) => {
        const o = typeof it === 'string' ? { token: it } : it;
        checkToken(o.token, o.name, `item ${i + 1}`, issue);
        const t: ProfileToken = { sha256: hashToken(o.token) };
        if (o.name !== undefined) t.name = o.name;
        if (o.requests_per_second !== undefined) t.requestsPerSecond = o.requests_per_second;
        if (o.burst !== undefined) t.burst = o.burst;
        return t;
      });
      return out;
    });
  return {
    kind: 'leaf',
    schema: schema.meta({ description: doc }),
    doc,
    unit: 'list of tokens',
    defaultText: 'none',
    expected:
      'a list of tokens, each a string such as "${API_TOKEN}" or {token, name, ' + 'requests_per_second, burst}',
    secret: true,
  };
}
