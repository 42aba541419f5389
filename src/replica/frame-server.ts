// The replica's frame socket (data plane, replica): the local gateway's infer requests over a unix
// socket, framed (common/frames/), run through the same infer path as HTTP (infer-handler.ts) with no
// HTTP parse. Only POST .../infer is served here; everything else is HTTP's. A connection that breaks
// the framing is answered nothing more and closed; a request frame over --max-body gets 413 alone.
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { decodeRequest, encodeResponseHead, FRAME_META_SLACK_BYTES, FrameType } from '../common/frames/codec.js';
import { FrameDecoder } from '../common/frames/decoder.js';
import { listenPrivate, removeSocketFile } from '../common/data-plane/unix-listen.js';
import { REPLICA_HEADER } from '../common/wire.js';
import type { ReplicaContext } from './context.js';
import { HttpError } from './http-error.js';
import { tooLarge } from './http-io.js';
import { inferOver, type InferTransport } from './infer-handler.js';
import { checkModel, modelPath } from './routes.js';

/** Headers of which node:http keeps the first of duplicates (the others it joins with ", "). */
const FIRST_WINS = new Set(['content-type', 'content-length', 'authorization', 'host', 'user-agent']);

export class FrameServer {
  private readonly conns = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly path: string,
  ) {}

  /** Listens on `path` (mode 0600; a stale socket there is replaced); rejects with a UserError naming --frame-socket. */
  static async listen(ctx: ReplicaContext, path: string): Promise<FrameServer> {
    const server = net.createServer();
    const fs = new FrameServer(server, path);
    server.on('connection', (c) => {
      fs.conns.add(c);
      c.once('close', () => fs.conns.delete(c));
      serveConnection(ctx, c);
    });
    await listenPrivate(server, path, '--frame-socket');
    server.on('error', (err) => ctx.log.error('frame socket error', { error: err.message }));
    return fs;
  }

  /**
   * Stops listening and removes the socket file. Graceful (after a drain answered everything):
   * connections are ended once their answers are written, and cut after 500 ms; otherwise at once.
   */
  close(graceful: boolean): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.conns) {
      if (graceful) {
        c.end();
        setTimeout(() => c.destroy(), 500).unref();
      } else c.destroy();
    }
    removeSocketFile(this.path);
    return closed;
  }
}

function serveConnection(ctx: ReplicaContext, c: net.Socket): void {
  let broken = false;
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
  const decoder = new FrameDecoder({
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
  });
  const breakOff = (message: string) => {
    broken = true;
    ctx.log.warn('the frame connection broke the frame format: closed', { error: message });
    c.destroy();
  };
  c.on('data', (chunk: Buffer) => {
    const bad = decoder.push(chunk);
    if (bad !== null && !broken) breakOff(bad.message);
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
