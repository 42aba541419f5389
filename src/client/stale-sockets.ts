// Unix sockets left in <stateDir>/run/ by children killed with SIGKILL (client, after `serve down`):
// a killed process cannot remove its control or frame socket, and each new child gets a socket of its
// own name, so they would pile up. Once the cluster is stopped, a socket that refuses connections
// belongs to no process and is removed; one that accepts is left alone (something still serves it).
import { lstat, readdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

/** How long a socket may take to accept before it is left alone as in use. */
const CONNECT_TIMEOUT_MS = 500;

/** Removes the sockets in `runDir` that nothing listens on; never follows a link, never throws. Resolves with how many. */
export async function removeStaleSockets(runDir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(runDir);
  } catch {
    return 0;
  }
  const removed = await Promise.all(
    names.map(async (name) => {
      const file = path.join(runDir, name);
      try {
        if (!(await lstat(file)).isSocket() || !(await refuses(file))) return false;
        await unlink(file);
        return true;
      } catch {
        return false;
      }
    }),
  );
  return removed.filter(Boolean).length;
}

/** True when connecting to the socket at `file` is refused (no process listens on it). */
function refuses(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(file);
    const done = (refused: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(refused);
    };
    const timer = setTimeout(() => done(false), CONNECT_TIMEOUT_MS);
    s.once('connect', () => done(false));
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED'));
  });
}
