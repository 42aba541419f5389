// The serving gateway's side of kept connections (gateway, data plane). Each connection it accepts
// is also lent to the socket holder (a copy of its descriptor, over IPC), and the holder closes its
// copy when the serving process says the connection closed. So a serving process that is killed
// takes no connection with it: the holder's copy keeps each one open, the requests that clients
// write on them wait in the kernel, and the holder gives the copies to the process that serves next,
// which adopts them here and answers those requests. Plain HTTP only: a TLS session cannot move.
import net from 'node:net';
import type { Logger } from '../../common/log.js';
import { KeepIpc, type KeepMessage } from './kept.js';

/** How the serving process talks to its holder: Node's IPC send, a callback for each message. */
export type HolderSend = (msg: KeepMessage, handle: object | undefined, done: (err: Error | null) => void) => void;

export class ConnectionLender {
  private server: net.Server | undefined;
  private next = 0;
  /** Sockets this process adopted: the holder already has their copies. */
  private readonly adopted = new WeakSet<net.Socket>();

  constructor(
    private readonly send: HolderSend,
    private readonly log: Logger,
  ) {}

  /** Lends every connection `server` accepts from now on. */
  attach(server: net.Server): void {
    this.server = server;
    server.on('connection', (socket: net.Socket) => {
      if (this.adopted.has(socket)) return;
      const handle = (socket as unknown as { _handle?: object | null })._handle;
      if (!handle) return;
      const id = `${process.pid}.${++this.next}`;
      // A connection that closes before its copy is sent fails that send (EINVAL): nothing to keep.
      this.send({ type: KeepIpc.lend, id }, handle, () => undefined);
      socket.once('close', () => this.send({ type: KeepIpc.closed, id }, undefined, () => undefined));
    });
  }

  /**
   * A connection of a process that died, as its holder kept it: served like one accepted here. What
   * the clients wrote on it since is read now. One that brings nothing within `silentMs` (the request
   * timeout: a request that was inside the dead process is past its deadline by then) is closed: its
   * client was waiting for an answer that will not come, or left it idle that long.
   */
  adopt(id: string, handle: object, silentMs: number): void {
    const server = this.server;
    if (!server) return;
    let socket: net.Socket;
    try {
      socket = new net.Socket({ handle, readable: true, writable: true } as net.SocketConstructorOpts);
    } catch (err) {
      this.log.warn('a kept connection could not be adopted', { id, error: (err as Error).message });
      return this.send({ type: KeepIpc.closed, id }, undefined, () => undefined);
    }
    this.adopted.add(socket);
    // Counted as net counts the connections it accepts (net.js onconnection), so that closing the
    // server (a handover) waits for adopted connections too.
    (server as unknown as { _connections: number })._connections++;
    const owned = socket as unknown as { server: net.Server; _server: net.Server };
    owned.server = owned._server = server;
    socket.once('close', () => this.send({ type: KeepIpc.closed, id }, undefined, () => undefined));
    server.emit('connection', socket);
    const since = socket.bytesRead;
    setTimeout(() => {
      if (!socket.destroyed && socket.bytesRead === since) socket.destroy();
    }, silentMs).unref();
  }
}

/** Node's IPC send with a handle and a callback (errors go to the callback, never to 'error'). */
export function ipcSend(): HolderSend | undefined {
  const send = process.send?.bind(process) as
    ((m: unknown, h: object | undefined, o: object, cb: (err: Error | null) => void) => boolean) | undefined;
  if (!send) return undefined;
  return (msg, handle, done) => {
    if (!process.connected) return done(new Error('no holder'));
    send(msg, handle, {}, done);
  };
}
