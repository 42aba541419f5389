// Listening on a private unix socket (common, data plane): the control socket's and a replica's frame
// socket's. The file is created mode 0600 (never readable by others for an instant); a stale socket
// there (no process listens) is replaced, a live one or any other file is an error naming the flag.
import { lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { UserError } from '../errors.js';

/** Makes `server` listen on `path` (mode 0600); rejects with a UserError naming `flag` when it cannot. */
export async function listenPrivate(server: net.Server, path: string, flag: string): Promise<void> {
  await clearStale(path, flag);
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => (server.off('error', reject), resolve()));
    });
  } catch (err) {
    throw new UserError(`${flag} ${path}: cannot listen there (${(err as Error).message})`);
  } finally {
    process.umask(umask);
  }
}

/** Removes the socket file at `path`, if a socket is still there. */
export function removeSocketFile(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Already gone (the server's close removes it).
  }
}

/** Removes a socket file no process listens on; a live socket or any other file at `path` is an error. */
async function clearStale(path: string, flag: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new UserError(`${flag} ${path}: a file that is not a socket is there; remove it`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (live) throw new UserError(`${flag} ${path}: another process listens there`);
  unlinkSync(path);
}
