// `gateway.auth.tokens_file` (control plane): a file of bearer tokens kept out of the profile, one
// a line, `[name] token [requests_per_second=N] [burst=N]`. It must be private (mode 0600 or
// stricter): a file others can read is refused. Tokens are hashed as they are read, never quoted.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { hashToken } from '../common/auth.js';
import { checkToken, type ProfileToken } from './auth-tokens.js';

/** Largest tokens file read (1 MiB: tens of thousands of tokens). */
const MAX_BYTES = 1024 * 1024;

/** The tokens of the file, or the problems found, each with the line it is on (0: the whole file). */
export interface TokensFileResult {
  tokens: Array<ProfileToken & { line: number }>;
  problems: Array<{ line: number; message: string }>;
}

/** Reads and checks the tokens file at `file` (absolute). */
export function readTokensFile(file: string): TokensFileResult {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      `${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}: ` +
        `give the path of a file of tokens, one a line`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return fail(`${file} is not a regular file`);
    const mode = st.mode & 0o777;
    if (mode & 0o077) {
      return fail(
        `${file} has mode ${mode.toString(8).padStart(4, '0')}, so others can read or ` +
          `change the tokens in it: run \`chmod 600 ${file}\``,
      );
    }
    if (st.size > MAX_BYTES) return fail(`${file} is larger than 1 MiB: it should hold only tokens, one a line`);
    const buf = Buffer.alloc(st.size);
    const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    return parseTokensText(text);
  } finally {
    closeSync(fd);
  }
}

function fail(message: string): TokensFileResult {
  return { tokens: [], problems: [{ line: 0, message }] };
}

/** The options a line may carry after its token (a token never starts like one). */
const OPTION = /^(requests_per_second|burst)=/;

/** Parses the file's text: blank lines and `#` comments are skipped. */
export function parseTokensText(text: string): TokensFileResult {
  const out: TokensFileResult = { tokens: [], problems: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const fields = raw
      .trim()
      .split(/\s+/)
      .filter((f) => f !== '');
    if (fields.length === 0 || fields[0]!.startsWith('#')) return;
    const issue = (message: string) => out.problems.push({ line, message });
    const words = fields.filter((f) => !OPTION.test(f));
    const options = fields.filter((f) => OPTION.test(f));
    if (words.length > 2)
      return issue('expected `[name] token [requests_per_second=N] [burst=N]`: too many words on the line');
    const [name, token] = words.length === 2 ? words : [undefined, words[0]];
    if (token === undefined)
      return issue('expected `[name] token [requests_per_second=N] [burst=N]`: no token on the line');
    checkToken(token, name, 'this line', issue);
    const t: ProfileToken & { line: number } = { sha256: hashToken(token), line };
    if (name !== undefined) t.name = name;
    for (const o of options) {
      const [key, value] = o.split('=', 2) as [string, string];
      const n = Number(value);
      if (key === 'requests_per_second' && n > 0 && n <= 1_000_000) t.requestsPerSecond = n;
      else if (key === 'burst' && Number.isInteger(n) && n >= 1 && n <= 1_000_000) t.burst = n;
      else
        issue(
          key === 'burst'
            ? 'burst must be a whole number from 1 to 1000000'
            : 'requests_per_second must be a number more than 0 and at most 1000000',
        );
    }
    out.tokens.push(t);
  });
  return out;
}
