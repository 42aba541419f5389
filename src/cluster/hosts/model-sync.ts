// Copying a model version to a host (control plane, hosts): files are named by their SHA-256 in a
// store under the host's registry (<registry>/.store/sha256/<hex>), so each file crosses the
// network once per host whatever version or name it belongs to; the version folder then gets hard
// links (copies where links fail) to the stored files, each put in place by rename.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProcessResult } from './run-process.js';
import { shellQuote } from './shell-quote.js';
import { commandFailureCause } from './ssh-errors.js';

/** Runs one shell command on the host, with `input` streamed to its stdin. */
export type RemoteExec = (
  command: string,
  o: { timeoutMs: number; input?: () => NodeJS.ReadableStream },
) => Promise<ProcessResult>;

/** One file of the version folder: its path inside the folder, size and SHA-256 (hex). */
export interface ModelFile {
  rel: string;
  bytes: number;
  sha256: string;
}

/** What a sync did: files already there, blobs sent (each once), bytes sent. */
export interface SyncResult {
  present: boolean;
  filesLinked: number;
  blobsSent: number;
  bytesSent: number;
}

/** Every regular file under `dir` with its hash. */
export async function hashVersionFolder(dir: string): Promise<ModelFile[]> {
  const out: ModelFile[] = [];
  const walk = async (sub: string) => {
    for (const e of await readdir(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(rel);
      else if (e.isFile())
        out.push({ rel, bytes: (await stat(path.join(dir, rel))).size, sha256: await sha256File(path.join(dir, rel)) });
    }
  };
  await walk('');
  return out.sort((a, b) => a.rel.localeCompare(b.rel));
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

/** The remote version folder and store of `registry` for `name`/`version`. */
function layout(registry: string, name: string, version: number) {
  return { store: `${registry}/.store/sha256`, dir: `${registry}/${name}/${version}` };
}

/**
 * Which of `files` the host's version folder already holds with the right content, and which
 * blobs its store holds. One round trip.
 */
export async function remoteModelState(
  exec: RemoteExec,
  registry: string,
  name: string,
  version: number,
  files: readonly ModelFile[],
) {
  const { store, dir } = layout(registry, name, version);
  const blobs = [...new Set(files.map((f) => f.sha256))];
  const script = [
    `for h in ${blobs.join(' ')}; do [ -f ${shellQuote(store)}/$h ] && echo "blob ` + `$h"; done`,
    `if cd ${shellQuote(dir)} 2>/dev/null; then sha256sum -- ` +
      `${files.map((f) => shellQuote(f.rel)).join(' ')} 2>/dev/null; fi`,
    'exit 0',
  ].join('\n');
  const r = await exec(script, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`could not read ${dir} there: ${commandFailureCause(r, 30_000)}`);
  const haveBlobs = new Set<string>();
  const haveFiles = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const blob = /^blob ([0-9a-f]{64})$/.exec(line);
    if (blob) haveBlobs.add(blob[1]!);
    const sum = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (sum) haveFiles.set(sum[2]!, sum[1]!);
  }
  const missing = files.filter((f) => haveFiles.get(f.rel) !== f.sha256);
  return { dir, store, haveBlobs, missing };
}

/**
 * Makes the host's registry hold `files` (from `localDir`) as `name`/`version`: sends each blob the
 * store lacks once (checked against its SHA-256 there before it is kept), then links the files in.
 */
export async function syncModel(
  exec: RemoteExec,
  localDir: string,
  registry: string,
  name: string,
  version: number,
  files: readonly ModelFile[],
): Promise<SyncResult> {
  const state = await remoteModelState(exec, registry, name, version, files);
  if (state.missing.length === 0) return { present: true, filesLinked: 0, blobsSent: 0, bytesSent: 0 };
  let blobsSent = 0;
  let bytesSent = 0;
  const sent = new Set(state.haveBlobs);
  for (const f of state.missing) {
    if (sent.has(f.sha256)) continue;
    // The shell's $$ keeps two controllers sending the same file from writing one temp file.
    const tmp = `${shellQuote(`${state.store}/.tmp.${f.sha256}.`)}$$`;
    const script =
      `mkdir -p ${shellQuote(state.store)} && cat > ${tmp} && ` +
      `[ "$(sha256sum < ${tmp} | cut -d ' ' -f 1)" = ${f.sha256} ] && mv -f ${tmp} ` +
      `${shellQuote(state.store)}/${f.sha256} || { rm -f ${tmp}; echo "the copy of ` +
      `${f.rel} arrived damaged" >&2; exit 1; }`;
    const timeoutMs = 60_000 + f.bytes / 1000;
    const r = await exec(script, {
      timeoutMs,
      input: () => createReadStream(path.join(localDir, f.rel)),
    });
    if (r.code !== 0)
      throw new Error(`copying ${f.rel} (${f.bytes} bytes) failed: ${commandFailureCause(r, timeoutMs)}`);
    sent.add(f.sha256);
    blobsSent++;
    bytesSent += f.bytes;
  }
  const link = state.missing.map((f) => {
    const target = `${state.dir}/${f.rel}`;
    const tmp = `${shellQuote(`${target}.tmp.`)}$$`;
    const blob = `${shellQuote(state.store)}/${f.sha256}`;
    return (
      `mkdir -p ${shellQuote(path.posix.dirname(target))} && { ln -f ${blob} ${tmp} ` +
      `2>/dev/null || cp ${blob} ${tmp}; } && mv -f ${tmp} ${shellQuote(target)}`
    );
  });
  const r = await exec(`set -e\n${link.join('\n')}`, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`putting the files into ${state.dir} failed: ${commandFailureCause(r, 60_000)}`);
  return { present: false, filesLinked: state.missing.length, blobsSent, bytesSent };
}
