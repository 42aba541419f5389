// Every answer the gateway writes (gateway, data plane): a replica's answer passed through, or the
// gateway's own `{"error": ...}` (shedding with 503 + Retry-After, timeouts, refusals), each counted
// once in the metrics, and the count of accepted requests a drain waits for.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../common/clock.js';
import { guardUnreadBody } from '../common/http-slow-clients.js';
import type { Attempt, Exchange } from './exchange.js';
import type { GatewayMetrics, ShedReason } from './metrics.js';
import { writeCachedReply, writeOwnReply, writeUpstreamReply } from './replies.js';
import type { CacheHit, ResponseCache } from './cache/response-cache.js';
import type { Shadow } from './shadow/shadow.js';

/** Plain counters, also exported through stats(). */
export interface CoreCounters {
  requests: number;
  retries: number;
  ejections: number;
}

/** After shedding, the gateway counts as overloaded this long (ms). */
const OVERLOAD_MEMORY_MS = 1000;

export class Responder {
  /** Requests accepted and not yet answered (reading body, queued or at a replica). */
  active = 0;
  readonly counters: CoreCounters = { requests: 0, retries: 0, ejections: 0 };
  private idleWaiters: Array<() => void> = [];
  /** When the gateway last answered 503 itself because of load (clock ms). */
  private lastShedMs = -Infinity;
  /** The shadow server our infer answers are compared with, when configured. */
  shadow: Shadow | undefined = undefined;

  constructor(
    private readonly clock: Clock,
    private readonly metrics: GatewayMetrics,
    private readonly cache?: ResponseCache,
  ) {}

  /** Resolves once no accepted request is left (after drain, or at once). */
  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** True when the gateway shed a request within the last second. */
  shedLately(nowMs: number): boolean {
    return nowMs - this.lastShedMs < OVERLOAD_MEMORY_MS;
  }

  /**
   * Passes the replica's answer on (and offers it to the response cache, when the request was looked
   * up). Another server's answer (external, fallback) is not ours: never cached, never shadowed.
   */
  respond(ex: Exchange, a: Attempt): void {
    if (ex.done) return;
    const body = a.chunks.length === 1 ? a.chunks[0]! : Buffer.concat(a.chunks, a.bytes);
    const ours = a.upstream.kind === 'replica';
    const cached = ex.cache !== null && this.cache !== undefined && ours ? ex.cache : undefined;
    const totalMs = this.clock.nowMs() - ex.startMs;
    writeUpstreamReply(ex, a, body, totalMs, cached && this.cache!.forwardedStatus(cached));
    this.finish(ex, a.status, totalMs);
    // Kept after the answer is on its way: parsing and storing it never delays the client.
    if (cached !== undefined && a.verdict.cacheable) this.cache!.keep(cached, a.status, a.rawHeaders, body, a.upstream);
    if (ours && ex.infer)
      this.shadow?.offer({ url: ex.req.url!, headers: ex.req.headers, body: ex.body!, status: a.status, answer: body });
  }

  /** Answers a cache hit (200) without a replica. */
  respondCached(ex: Exchange, hit: CacheHit): void {
    if (ex.done) return;
    const totalMs = this.clock.nowMs() - ex.startMs;
    writeCachedReply(ex, hit.headers, hit.body, totalMs);
    this.finish(ex, 200, totalMs);
  }

  /** Answers 503 + Retry-After because of load or the replica set, counted by reason. */
  shed(ex: Exchange, reason: ShedReason, message: string): void {
    if (ex.done) return;
    this.lastShedMs = this.clock.nowMs();
    this.metrics.shed(reason);
    this.finishOwn(ex, 503, message);
  }

  /** Answers an accepted request with the gateway's own error; `close` ends the connection after it. */
  finishOwn(ex: Exchange, status: number, message: string, close = false): void {
    if (ex.done) return;
    if (close && !ex.res.headersSent) ex.res.setHeader('connection', 'close');
    const totalMs = this.replyOwn(ex.res, ex.startMs, status, message, ex.upstreamMs);
    this.finish(ex, status, totalMs);
  }

  /** Marks `ex` answered with `status`: its deadline timer goes, the metrics count it, a drain may end. */
  finish(ex: Exchange, status: number, totalMs: number): void {
    ex.done = true;
    this.clock.clearTimer(ex.timer ?? undefined);
    this.counters.requests++;
    this.metrics.observe(status, totalMs / 1000);
    const version = ex.version;
    if (version !== undefined) this.metrics.observeVersion(version, status, totalMs / 1000);
    if (--this.active === 0 && this.idleWaiters.length > 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Answers before the request was accepted (draining, nothing ready, bad header): counted only. */
  rejectNow(
    req: IncomingMessage,
    res: ServerResponse,
    startMs: number,
    status: number,
    message: string,
    shed?: ShedReason,
  ): void {
    guardUnreadBody(req, res);
    if (shed !== undefined) {
      this.lastShedMs = startMs;
      this.metrics.shed(shed);
    }
    const totalMs = this.replyOwn(res, startMs, status, message);
    this.counters.requests++;
    this.metrics.observe(status, totalMs / 1000);
  }

  /** Writes `{"error": message}`; returns the gateway time in ms. */
  private replyOwn(res: ServerResponse, startMs: number, status: number, message: string, upstreamMs = 0): number {
    const totalMs = this.clock.nowMs() - startMs;
    writeOwnReply(res, status, message, totalMs, upstreamMs);
    return totalMs;
  }
}
