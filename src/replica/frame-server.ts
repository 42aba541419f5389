// The replica's frame server (data plane, replica): the gateway's infer requests framed
// (common/frames/) over a unix socket (a gateway on this host) or a TCP port (a gateway on another
// host: an SSH host's replica), run through the same infer path as HTTP (infer-handler.ts) with no
// HTTP parse. Only POST .../infer is served here; everything else is HTTP's. A TCP connection must
// first send a hello frame with the cluster token (a unix socket is protected by its mode). A
// connection that breaks the framing is answered nothing more and closed; a request frame over
// --max-body gets 413 alone.
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import {
  decodeRequest,
  encodeResponseHead,
  FRAME_META_SLACK_BYTES,
  FrameType,
  HELLO_MAX_FRAME_BYTES,
} from '../common/frames/codec.js';
import { FrameDecoder, type DecoderOptions } from '../common/frames/decoder.js';
import { listenFrameTcp } from '../common/frames/tcp.js';
import { listenPrivate, removeSocketFile } from '../common/data-plane/unix-listen.js';
import { SILENT_CONNECTION_TIMEOUT_MS } from '../common/http-timeouts.js';
import { REPLICA_HEADER } from '../common/wire.js';
import type { ReplicaContext } from './context.js';
import { HttpError } from './http-error.js';
import { tooLarge } from './http-io.js';
import { inferOver, type InferTransport } from './infer-handler.js';
import { checkModel, modelPath } from './routes.js';

/** Headers of which node:http keeps the first of duplicates (the others it joins with ", "). */
const FIRST_WINS = new Set(['content-type', 'content-length', 'authorization', 'host', 'user-agent']);

/** How long a TCP connection may take to send its hello frame before it is refused (as HTTP's silent connection). */
export const HELLO_TIMEOUT_MS = SILENT_CONNECTION_TIMEOUT_MS;

/** Where a frame server listens: a unix socket, a TCP port, or both. */
export interface FrameListen {
  /** `--frame-socket`. */
  socketPath?: string;
  /** `--frame-port` (0: a free one) on `host` (the replica's --host). */
  tcp?: { host: string; port: number };
}

export class FrameServer {
  private readonly conns = new Set<net.Socket>();
  private readonly servers: net.Server[] = [];
  /** The unix socket it listens on. */
  path: string | undefined;
  /** The TCP address it listens on, "host:port" ("[v6]:port"). */
  address: string | undefined;

  private constructor(private readonly ctx: ReplicaContext) {}

  /**
   * Listens where `where` says (a unix socket mode 0600, a stale socket there replaced); rejects with
   * a UserError naming --frame-socket or --frame-port.
   */
  static async listen(ctx: ReplicaContext, where: FrameListen): Promise<FrameServer> {
    const fs = new FrameServer(ctx);
    try {
      if (where.socketPath !== undefined) {
        await listenPrivate(fs.server(false), where.socketPath, '--frame-socket');
        fs.path = where.socketPath;
      }
      if (where.tcp !== undefined) fs.address = await listenFrameTcp(fs.server(true), where.tcp.host, where.tcp.port);
    } catch (err) {
      await fs.close(false);
      throw err;
    }
    return fs;
  }

  /**
   * Stops listening and removes the socket file. Graceful (after a drain answered everything):
   * connections are ended once their answers are written, and cut after 500 ms; otherwise at once.
   */
  close(graceful: boolean): Promise<void> {
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const c of this.conns) {
      if (graceful) {
        c.end();
        setTimeout(() => c.destroy(), 500).unref();
      } else c.destroy();
    }
    if (this.path !== undefined) removeSocketFile(this.path);
    return Promise.all(closed).then(() => undefined);
  }

  private server(tcp: boolean): net.Server {
    const server = net.createServer((c) => {
      this.conns.add(c);
      c.once('close', () => this.conns.delete(c));
      serveConnection(this.ctx, c, tcp);
    });
    server.on('error', (err) => this.ctx.log.error('frame server error', { error: err.message }));
    this.servers.push(server);
    return server;
  }
}

function serveConnection(ctx: ReplicaContext, c: net.Socket, tcp: boolean): void {
  let broken = false;
  let greeted = !tcp;
  c.on('error', () => undefined);
  const send = (id: number, status: number, headers: Record<string, string | number>, body: Buffer) => {
    if (broken || !c.writable) return;
    const flat: string[] = [];
    for (const name in headers) if (name !== 'content-length') flat.push(name, String(headers[name]));
    c.cork();
    c.write(encodeResponseHead(id, status, flat, body.length));
    if (body.length > 0) c.write(body);
    c.uncork();
  };
  const requests: DecoderOptions = {
    type: FrameType.request,
    maxFrameBytes: ctx.maxBodyBytes + FRAME_META_SLACK_BYTES,
    onFrame: (f) => {
      if (broken) return; // the rest of a chunk after a malformed frame
      let req;
      try {
        req = decodeRequest(f.payload);
      } catch (err) {
        return breakOff((err as Error).message);
      }
      const t = transport(f.id, headersOf(req.headers), req.body, send);
      try {
        ctx.tokenCheck?.checkHeaders(t.headers);
        inferTarget(ctx, req.method, req.path);
      } catch (err) {
        if (!(err instanceof HttpError)) ctx.log.error('framed request failed', { error: String(err) });
        t.error(err, replicaHeader(ctx));
        return;
      }
      inferOver(ctx, t);
    },
    onOversize: (id, frameBytes) => {
      if (broken) return;
      const t = transport(id, {}, Buffer.alloc(0), send);
      t.error(tooLarge(ctx.maxBodyBytes, `its frame is ${frameBytes} bytes`), replicaHeader(ctx));
    },
  };
  // Over TCP nothing but a hello frame of at most HELLO_MAX_FRAME_BYTES is read until its token matched.
  const decoder = new FrameDecoder(
    tcp
      ? {
          type: FrameType.hello,
          maxFrameBytes: HELLO_MAX_FRAME_BYTES,
          onFrame: (f) => {
            if (broken) return;
            if (ctx.tokenCheck !== undefined && !ctx.tokenCheck.matches(f.payload.toString('utf8')))
              return refuse("the hello frame's token does not match this replica's cluster");
            greeted = true;
            c.setTimeout(0);
            decoder.expect(requests);
          },
        }
      : requests,
  );
  const breakOff = (message: string) => {
    broken = true;
    ctx.log.warn('the frame connection broke the frame format: closed', { error: message });
    c.destroy();
  };
  // A refused TCP connection: one response frame of id 0 says why, then it is closed.
  const refuse = (message: string) => {
    send(0, 401, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ error: message })));
    broken = true;
    ctx.log.warn('a frame connection was refused', { error: message, from: c.remoteAddress });
    c.end();
    setTimeout(() => c.destroy(), 1_000).unref();
  };
  if (tcp) {
    c.setNoDelay(true);
    c.setTimeout(HELLO_TIMEOUT_MS, () => {
      if (!broken) refuse(`no hello frame within ${HELLO_TIMEOUT_MS} ms`);
    });
  }
  c.on('data', (chunk: Buffer) => {
    const bad = decoder.push(chunk);
    if (bad !== null && !broken) {
      if (greeted) breakOff(bad.message);
      else
        refuse(
          `a TCP frame connection must start with a hello frame (type 3) carrying the cluster token: ${bad.message}`,
        );
    }
  });
}

/** The InferTransport of one framed request: answered exactly once (a later answer is dropped). */
function transport(
  id: number,
  headers: IncomingHttpHeaders,
  body: Buffer,
  send: (id: number, status: number, headers: Record<string, string | number>, body: Buffer) => void,
): InferTransport {
  let answered = false;
  const reply = (status: number, h: Record<string, string | number>, b: Buffer) => {
    if (answered) return;
    answered = true;
    send(id, status, h, b);
  };
  const error = (err: unknown, extra?: Record<string, string>): number => {
    const e = err instanceof HttpError ? err : new HttpError(500, 'internal error in the replica');
    const h: Record<string, string> = { ...extra, 'content-type': 'application/json' };
    if (e.retryAfterS !== undefined) h['retry-after'] = String(e.retryAfterS);
    reply(e.status, h, Buffer.from(JSON.stringify({ error: e.message })));
    return e.status;
  };
  return {
    headers,
    body: (maxBytes) =>
      body.length > maxBytes
        ? Promise.reject(tooLarge(maxBytes, `body is ${body.length} bytes`))
        : Promise.resolve(body),
    reply,
    error,
    // Nothing of a framed answer is sent before the whole of it: the gateway gets a 500 instead.
    cut: () => void error(new Error('answer could not be encoded')),
  };
}

/** Throws the HttpError HTTP would answer unless `path` is this replica's POST .../infer. */
function inferTarget(ctx: ReplicaContext, method: string, url: string): void {
  const q = url.indexOf('?');
  const m = modelPath.exec(q === -1 ? url : url.slice(0, q));
  if (m === null || m[3] !== 'infer')
    throw new HttpError(404, `the frame socket serves only POST /v2/models/NAME/infer, not ${url.slice(0, 100)}`);
  checkModel(ctx, m[1]!, m[2]);
  if (method !== 'POST') throw new HttpError(405, `method ${method.slice(0, 16)} is not allowed here: use POST`);
}

/** node:http's `req.headers` of raw [name, value, ...] pairs: names lower-cased, duplicates joined. */
export function headersOf(raw: readonly string[]): IncomingHttpHeaders {
  const out = Object.create(null) as Record<string, string>;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (!FIRST_WINS.has(name)) out[name] = `${had}, ${value}`;
  }
  return out;
}

function replicaHeader(ctx: ReplicaContext): Record<string, string> | undefined {
  return ctx.replicaId === undefined ? undefined : { [REPLICA_HEADER]: ctx.replicaId };
}
