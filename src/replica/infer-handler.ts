// POST /v2/models/{name}[/versions/{v}]/infer (data plane, replica): header checks, body read,
// validation, hand-off to the batcher, and the response with Server-Timing. The same for either
// transport (InferTransport): HTTP (httpTransport) or the gateway's frame socket (frame-server.ts).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { inferHeaderProblem } from '../common/infer-headers.js';
import {
  BINARY_HEADER_LENGTH,
  GATEWAY_INFLIGHT_HEADER,
  MODEL_DIGEST_HEADER,
  PRIORITY_HEADER,
  REPLICA_HEADER,
  TIMEOUT_HEADER,
  parseTimeoutHeader,
} from '../common/wire.js';
import type { JobResult } from './batch-job.js';
import type { ReplicaContext } from './context.js';
import { badRequest, HttpError } from './http-error.js';
import { readBody, sendError } from './http-io.js';
import { encodeInferResponse } from './infer-response.js';
import type { InferRequest } from './infer-request.js';
import { parseInfer } from './parse-infer.js';

/** What the infer path needs of the request's transport. */
export interface InferTransport {
  /** The request headers, names in lower case (as node:http's `req.headers`). */
  readonly headers: IncomingHttpHeaders;
  /** The whole body; rejects with an HttpError (413 over `maxBytes`, 408 stalled, 400 cut short). */
  body(maxBytes: number): Promise<Buffer>;
  /** Sends the answer (`headers` include content-length, which a framed answer leaves out). */
  reply(status: number, headers: Record<string, string | number>, body: Buffer): void;
  /** Sends `{"error": ...}` for `err` (see http-io.ts sendError); returns the status sent. */
  error(err: unknown, headers?: Record<string, string>): number;
  /** Answering failed half-way: cut the response off (a no-op once it is wholly sent). */
  cut(): void;
}

/** The HTTP transport of an infer request. */
export function httpTransport(req: IncomingMessage, res: ServerResponse): InferTransport {
  return {
    headers: req.headers,
    body: (maxBytes) => readBody(req, res, maxBytes),
    reply: (status, headers, body) => {
      res.writeHead(status, headers);
      res.end(body);
    },
    error: (err, headers) => sendError(res, err, headers),
    cut: () => {
      if (!res.headersSent) res.destroy();
    },
  };
}

/** Handles one infer request over HTTP; never throws (every failure becomes a response). */
export function handleInfer(ctx: ReplicaContext, req: IncomingMessage, res: ServerResponse): void {
  inferOver(ctx, httpTransport(req, res));
}

/** Handles one infer request; never throws (every failure becomes a response). */
export function inferOver(ctx: ReplicaContext, t: InferTransport): void {
  const arrivalMs = ctx.clock.nowMs();
  ctx.inFlight++;
  ctx.metrics.inFlight.inc();
  let answered = false;
  const finish = (status: number) => {
    if (answered) return;
    answered = true;
    ctx.metrics.inFlight.dec();
    if (--ctx.inFlight === 0) for (const w of ctx.idleWaiters.splice(0)) w();
    ctx.metrics.countRequest(status);
    ctx.metrics.latencyS.observe((ctx.clock.nowMs() - arrivalMs) / 1000);
  };
  const fail = (err: unknown) => {
    if (!(err instanceof HttpError)) ctx.log.error('infer handler failed', { error: String(err) });
    finish(t.error(err, replicaHeader(ctx)));
  };
  try {
    const head = checkHeaders(ctx, t.headers, arrivalMs);
    t.body(ctx.maxBodyBytes).then((body) => {
      try {
        const request = parseInfer(body, head.binaryHeaderLength, ctx.model, ctx.limits);
        submit(ctx, request, head, arrivalMs, (result) => {
          // Called from inside the batcher: a throw here must not cut short the rest of the batch.
          try {
            if (!result.ok) return fail(result.error);
            respond(ctx, t, request, result);
            finish(200);
          } catch (err) {
            ctx.log.error('answering an infer request failed', { error: String(err) });
            t.cut();
            finish(500);
          }
        });
      } catch (err) {
        fail(err);
      }
    }, fail);
  } catch (err) {
    fail(err);
  }
}

interface HeadInfo {
  binaryHeaderLength: number | undefined;
  priority: number;
  deadlineMs: number;
  /** GATEWAY_INFLIGHT_HEADER, when present and a whole number (a hint: a bad one is ignored). */
  gatewayInflight?: number;
}

function checkHeaders(ctx: ReplicaContext, headers: IncomingHttpHeaders, arrivalMs: number): HeadInfo {
  if (ctx.state !== 'ready' || !ctx.batcher) {
    throw new HttpError(
      503,
      ctx.state === 'loading' ? 'replica is still loading the model' : `replica is ${ctx.state}`,
      1,
    );
  }
  const refused = inferHeaderProblem(headers);
  if (refused !== undefined) throw new HttpError(refused.status, refused.message);
  const rawLen = headers[BINARY_HEADER_LENGTH];
  let binaryHeaderLength: number | undefined;
  if (rawLen !== undefined) {
    if (Array.isArray(rawLen) || !/^\d{1,12}$/.test(rawLen))
      throw badRequest(
        `${BINARY_HEADER_LENGTH} must be a non-negative integer, got "` + `${String(rawLen).slice(0, 32)}"`,
      );
    binaryHeaderLength = Number(rawLen);
  }
  const rawPriority = headers[PRIORITY_HEADER];
  let priority = 0;
  if (rawPriority !== undefined) {
    if (typeof rawPriority !== 'string' || !/^[0-9]$/.test(rawPriority.trim()))
      throw badRequest(
        `${PRIORITY_HEADER} must be an integer from 0 to 9, got "` + `${String(rawPriority).slice(0, 32)}"`,
      );
    priority = Number(rawPriority);
  }
  const budgetMs = parseTimeoutHeader(headers[TIMEOUT_HEADER], Infinity);
  if (Number.isNaN(budgetMs))
    throw badRequest(
      `header ${TIMEOUT_HEADER} must be a positive number of milliseconds, got "` +
        `${String(headers[TIMEOUT_HEADER]).slice(0, 32)}"`,
    );
  const inflight = headers[GATEWAY_INFLIGHT_HEADER];
  const gatewayInflight = typeof inflight === 'string' && /^\d{1,6}$/.test(inflight) ? Number(inflight) : undefined;
  return { binaryHeaderLength, priority, deadlineMs: arrivalMs + budgetMs, gatewayInflight };
}

function submit(
  ctx: ReplicaContext,
  request: InferRequest,
  head: HeadInfo,
  arrivalMs: number,
  done: (r: JobResult) => void,
): void {
  const now = ctx.clock.nowMs();
  if (head.deadlineMs <= now) {
    done({
      ok: false,
      error: new HttpError(
        504,
        `deadline of ${Math.round(head.deadlineMs - arrivalMs)}ms passed before the ` +
          `request could be queued; the model was not run`,
      ),
    });
    return;
  }
  // A request that was accepted while ready is still served if a drain began while its body
  // was arriving: draining finishes in-flight work. Only a hard close refuses it.
  if ((ctx.state !== 'ready' && ctx.state !== 'draining') || !ctx.batcher) {
    done({ ok: false, error: new HttpError(503, `replica is ${ctx.state}`, 1) });
    return;
  }
  ctx.batcher.submit({
    request,
    rows: request.rows,
    priority: head.priority,
    enqueuedMs: now,
    deadlineMs: head.deadlineMs,
    gatewayInflight: head.gatewayInflight,
    done,
  });
}

function respond(
  ctx: ReplicaContext,
  t: InferTransport,
  request: InferRequest,
  result: Extract<JobResult, { ok: true }>,
): void {
  ctx.metrics.queueWaitS.observe(result.queueMs / 1000);
  const encoded = encodeInferResponse(ctx.model, request.id, request.outputs, result.outputs);
  const headers: Record<string, string | number> = {
    'content-type': encoded.headerLength === undefined ? 'application/json' : 'application/octet-stream',
    'content-length': encoded.body.length,
    'server-timing':
      `queue;dur=${result.queueMs.toFixed(2)}, batch;desc=${result.batchRows}, ` +
      `infer;dur=${result.inferMs.toFixed(2)}`,
  };
  if (encoded.headerLength !== undefined) headers[BINARY_HEADER_LENGTH] = encoded.headerLength;
  if (ctx.replicaId !== undefined) headers[REPLICA_HEADER] = ctx.replicaId;
  if (ctx.modelDigest !== undefined) headers[MODEL_DIGEST_HEADER] = ctx.modelDigest;
  t.reply(200, headers, encoded.body);
}

function replicaHeader(ctx: ReplicaContext): Record<string, string> | undefined {
  return ctx.replicaId === undefined ? undefined : { [REPLICA_HEADER]: ctx.replicaId };
}
