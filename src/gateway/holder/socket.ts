// The gateway's listening socket as its holder owns it (gateway, data plane): bound, never accepted on
// by the holder itself; each serving process listens on it.
import dns from 'node:dns/promises';
import net from 'node:net';
import { UserError } from '../../common/errors.js';

type CreateServerHandle = (
  address: string,
  port: number,
  family: number,
  fd?: number,
  flags?: number,
) => object | number;

/**
 * A TCP socket bound to host:port and not listening: net's own `_createServerHandle`, the one Node's
 * cluster primary uses for the same purpose (lib/internal/cluster/shared_handle.js). The holder never
 * listens on it, so it never accepts; its serving process does.
 */
export async function bindSocket(host: string, port: number): Promise<object> {
  const create = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
  if (typeof create !== 'function')
    throw new Error('this Node has no net._createServerHandle: cannot hold the gateway socket');
  let address: string;
  let family: number;
  try {
    ({ address, family } = await dns.lookup(host));
  } catch {
    throw new UserError(
      `--host ${host}: cannot listen on that address; use an address of this machine such as 127.0.0.1`,
    );
  }
  const handle = create(address, port, family);
  if (typeof handle === 'number')
    throw new UserError(`--host ${host} --port ${port}: cannot bind (errno ${handle}); pick another address or port`);
  // libuv keeps a TCP bind's EADDRINUSE for listen, in this process's handle: a serving process given
  // the socket would listen on an unbound one, on a port of the kernel's choosing. Check here instead.
  const bound: { port?: number } = {};
  (handle as { getsockname(out: object): number }).getsockname(bound);
  if (!bound.port || (port !== 0 && bound.port !== port)) {
    (handle as { close(): void }).close();
    throw new UserError(
      `--port ${port}: the address ${host}:${port} is in use; pick another port (0 picks a free one)`,
    );
  }
  return handle;
}
