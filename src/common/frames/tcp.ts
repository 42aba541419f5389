// Frames over TCP (common, data plane): a replica on an SSH host serves the gateway's frames on a TCP
// port of its address, said as "host:port" (an IPv6 host in brackets) in its ready event. Each
// connection opens with a hello frame carrying the cluster token (codec.ts); a unix socket target
// (an absolute path) needs none.
import net from 'node:net';
import { UserError } from '../errors.js';
import { encodeHello } from './codec.js';

/** How long a TCP frame connection may take to connect (as undici's connect timeout for HTTP). */
export const FRAME_CONNECT_TIMEOUT_MS = 2_000;

/** `text` as host and port, or undefined when it is not "host:port" with a port from 1 to 65535. */
export function parseFrameAddress(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/[\]]+)):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2]!, port };
}

/** A frame target is a unix socket's path (absolute) or else a TCP frame address. */
export function isSocketPath(target: string): boolean {
  return target.startsWith('/');
}

/**
 * A connection to a frame target (the gateway's side); over TCP with Nagle off, failed with code
 * UND_ERR_CONNECT_TIMEOUT when not connected in FRAME_CONNECT_TIMEOUT_MS, and the hello frame with
 * `token` (none: empty) written before anything else.
 */
export function connectFrames(target: string, token: string | undefined): net.Socket {
  if (isSocketPath(target)) return net.connect(target);
  const address = parseFrameAddress(target);
  if (address === undefined) {
    const s = new net.Socket();
    queueMicrotask(() => s.destroy(new Error(`frame address "${target}" is not host:port`)));
    return s;
  }
  const s = net.connect({ host: address.host, port: address.port, noDelay: true });
  const timer = setTimeout(() => {
    const err = new Error(`the frame connection to ${target} did not connect in ${FRAME_CONNECT_TIMEOUT_MS} ms`);
    s.destroy(Object.assign(err, { code: 'UND_ERR_CONNECT_TIMEOUT' }));
  }, FRAME_CONNECT_TIMEOUT_MS);
  timer.unref();
  s.once('connect', () => clearTimeout(timer));
  s.once('close', () => clearTimeout(timer));
  s.write(encodeHello(token ?? ''));
  return s;
}

/** Makes `server` listen on TCP `host`:`port` (0: a free port); resolves with its "host:port". */
export function listenFrameTcp(server: net.Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new UserError(`--frame-port ${port}: cannot listen on ${host} (${err.code ?? err.message})`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const bound = (server.address() as net.AddressInfo).port;
      resolve(`${host.includes(':') ? `[${host}]` : host}:${bound}`);
    });
  });
}
