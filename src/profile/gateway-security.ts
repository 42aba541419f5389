// The gateway's security settings of a profile (control plane), checked after the walk: the tokens of
// `gateway.auth.tokens` and `gateway.auth.tokens_file` merged, named and checked for duplicates, and
// the TLS certificate and key paths (both or neither). Reads the tokens file; never quotes a token.
import path from 'node:path';
import type { AuthConfig, HashedToken } from '../common/auth.js';
import type { ProfileToken } from './auth-tokens.js';
import type { ProfileProblem } from './problems.js';
import { displayName } from './display-name.js';
import { readTokensFile } from './tokens-file.js';
import type { Walked } from './walk.js';

/** Paths of the gateway's certificate chain and private key (PEM), absolute. */
export interface TlsFiles {
  certPath: string;
  keyPath: string;
}

export interface GatewaySecurity {
  auth?: AuthConfig;
  tls?: TlsFiles;
  problems: ProfileProblem[];
}

/** Resolves auth and TLS from the walk; relative paths are taken from `cwd` (as model.registry). */
export function resolveGatewaySecurity(w: Walked, file: string, cwd: string): GatewaySecurity {
  const problems: ProfileProblem[] = [];
  const report = (field: string, message: string, at = w.positions.get(field) ?? { line: 1, col: 1 }, where = file) =>
    problems.push({ file: where, line: at.line, col: at.col, path: field, message });
  const auth = resolveAuth(w, cwd, report);
  const cert = w.values.get('gateway.tls.cert') as string | undefined;
  const key = w.values.get('gateway.tls.key') as string | undefined;
  if ((cert === undefined) !== (key === undefined)) {
    const [given, missing] =
      cert === undefined ? ['gateway.tls.key', 'gateway.tls.cert'] : ['gateway.tls.cert', 'gateway.tls.key'];
    report(given, `${missing} is missing: TLS needs both the certificate chain and its private ` + `key (PEM files)`);
  }
  const tls =
    cert !== undefined && key !== undefined
      ? { certPath: path.resolve(cwd, cert), keyPath: path.resolve(cwd, key) }
      : undefined;
  return { auth, tls, problems };
}

type Report = (field: string, message: string, at?: { line: number; col: number }, where?: string) => void;

function resolveAuth(w: Walked, cwd: string, report: Report): AuthConfig | undefined {
  const listed = (w.values.get('gateway.auth.tokens') as ProfileToken[] | undefined) ?? [];
  const fileRef = w.values.get('gateway.auth.tokens_file') as string | undefined;
  if (!w.given.has('gateway.auth.tokens') && fileRef === undefined) return undefined;
  const sources: Array<{ token: ProfileToken; what: string }> = listed.map((token, i) => ({
    token,
    what: `gateway.auth.tokens item ${i + 1}`,
  }));
  if (fileRef !== undefined) {
    const abs = path.resolve(cwd, fileRef);
    const shown = displayName(abs, cwd);
    const read = readTokensFile(abs);
    for (const p of read.problems) {
      if (p.line === 0) report('gateway.auth.tokens_file', p.message);
      else report('gateway.auth.tokens_file', p.message, { line: p.line, col: 1 }, shown);
    }
    if (read.problems.length === 0 && read.tokens.length === 0)
      report('gateway.auth.tokens_file', `${shown} holds no token: add one a line, or leave tokens_file out`);
    for (const t of read.tokens) sources.push({ token: t, what: `${shown} line ${t.line}` });
  }
  const byName = new Map<string, string>();
  const byDigest = new Map<string, string>();
  const tokens: HashedToken[] = sources.map(({ token, what }, i) => {
    const name = token.name ?? `token-${i + 1}`;
    const field = what.startsWith('gateway.') ? 'gateway.auth.tokens' : 'gateway.auth.tokens_file';
    if (byName.has(name))
      report(field, `${what}: the name "${name}" is taken by ${byName.get(name)}: give each token ` + `its own name`);
    if (byDigest.has(token.sha256))
      report(field, `${what} is the same token as ${byDigest.get(token.sha256)}: list each token once`);
    byName.set(name, what);
    byDigest.set(token.sha256, what);
    const out: HashedToken = { name, sha256: token.sha256 };
    if (token.requestsPerSecond !== undefined) out.requestsPerSecond = token.requestsPerSecond;
    if (token.burst !== undefined) out.burst = token.burst;
    return out;
  });
  return {
    tokens,
    openHealth: w.values.get('gateway.auth.open_health') !== false,
    openMetrics: w.values.get('gateway.auth.open_metrics') === true,
  };
}
