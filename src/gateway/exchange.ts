// One client request crossing the gateway (gateway, data plane) and its attempts at replicas.
// An Attempt is undici's dispatch handler itself, so a forwarded request costs no stream objects:
// the response body is gathered as raw chunks and written back in one go.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TimerHandle } from '../common/clock.js';
import type { CacheTicket } from './cache/response-cache.js';
import { judgeAnswer, type AnswerVerdict } from './judge-answer.js';
import { inferDurMs } from './service-time.js';
import type { WatchedTry } from './per-try/try-watch.js';
import type { Upstream } from './upstream.js';

/** What the gateway core does when an attempt ends; implemented by GatewayCore. */
export interface AttemptSink {
  /** The replica answered completely (any status). */
  attemptDone(attempt: Attempt): void;
  /** The attempt failed: connection error, reset, or the response broke off. */
  attemptFailed(attempt: Attempt, err: Error): void;
  /** The whole request has been written to the replica's connection. */
  attemptSent(attempt: Attempt): void;
  /** Called on response headers when the verdict says retry: true when it will be retried elsewhere now. */
  shouldRetryShed(attempt: Attempt): boolean;
}

/** A request accepted by the gateway, from arrival until its response is written. */
let nextSeq = 0;

export class Exchange {
  /** x-serve-priority, 0 (lowest) to 9: queued by it, then by deadline. */
  priority = 0;
  /** Arrival order, the queue's last tie-breaker. */
  readonly seq = nextSeq++;
  /** POST .../infer (the only requests the service time and the cache concern). */
  infer = false;
  /** A response was written (or the request was given up); later events are ignored. */
  done = false;
  /** Waiting in the gateway queue for a replica slot. */
  queued = false;
  /** A 'close' listener frees the queue slot if the client hangs up while queued. */
  watchingClose = false;
  /** Its body is still arriving (a deadline now is the client's fault: 408, not 504). */
  readingBody = false;
  /** Already resent once; never resent twice. */
  retried = false;
  /**
   * Resent once because its try timed out (per-try timeout): kept apart from `retried`, so that the
   * new try may still be resent once if it fails before answering (its host lost, say).
   */
  timeoutRetried = false;
  /** The replica a retry must avoid. */
  exclude: Upstream | undefined = undefined;
  /** The model version a retry must avoid (its replica answered a 5xx of its own during a rollout). */
  excludeVersion: string | undefined = undefined;
  /** The attempt in flight, if any. */
  attempt: Attempt | null = null;
  /** Model version of the replica the last attempt went to (labels the per-version metrics). */
  version: string | undefined = undefined;
  /** Fires at the deadline. */
  timer: TimerHandle | null = null;
  /** The deadline passed with an attempt in flight and is being looked at once more. */
  deadlineChecked = false;
  /** Time spent waiting on replicas over all attempts, in milliseconds. */
  upstreamMs = 0;
  /** The request body exactly as received (null for GETs). */
  body: Buffer | null = null;
  /** Set when the response cache was asked: what it needs to keep the answer. */
  cache: CacheTicket | null = null;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** Arrival time on the gateway clock, in milliseconds. */
    readonly startMs: number,
    /** Clock time by which the response must be written, in milliseconds. */
    readonly deadlineMs: number,
  ) {}
}

/** The verdict of an attempt with no answer yet (never read before its headers). */
const NOT_ANSWERED = judgeAnswer(0, { kind: 'replica', version: undefined });

/**
 * One send of an exchange to one replica. Implements undici's (legacy, allocation-free) dispatch
 * handler: the newer controller API wraps handlers and parses headers into objects on every response.
 */
export class Attempt implements WatchedTry {
  /** undici's abort for this request, once it is on a connection. */
  private abortFn: ((err?: Error) => void) | null = null;
  /**
   * The deadline passed and the client was answered without this attempt; it stays open only to
   * tell a slow replica (answers late) from a hung one (answers nothing), until judged.
   */
  abandoned = false;
  /** Fires when an abandoned attempt is judged. */
  judgeTimer: TimerHandle | null = null;
  /** The gateway aborted it (after judging it): its error is no news about the replica. */
  aborted = false;
  /** Its replica's silence outlasted its try timeout (try-timeout.ts): counted as a failure once. */
  timedOut = false;
  /** Neighbours in its replica's list of tries in flight (try-watch.ts). */
  watchPrev: WatchedTry | null = null;
  watchNext: WatchedTry | null = null;
  watched = false;
  /** Clock time the request was written to the replica (ms); -1 until then. */
  sentAtMs = -1;
  /** The replica's `completed` count when this attempt was written. */
  completedAtSend = 0;
  /** Ended (completed or failed); the replica slot has been released. */
  ended = false;
  /** Response headers arrived (a failure after this is a broken response, never retried). */
  headersSeen = false;
  /** The verdict said retry and something else can take it: the body is dropped, the request tried again. */
  shed = false;
  status = 0;
  /** What the status means (judge-answer.ts); set with the status. */
  verdict: AnswerVerdict = NOT_ANSWERED;
  /** Budget passed on to the replica in the timeout header (ms). */
  forwardedBudgetMs = Infinity;
  rawHeaders: Buffer[] = [];
  chunks: Buffer[] = [];
  bytes = 0;

  constructor(
    readonly exchange: Exchange,
    readonly upstream: Upstream,
    readonly startMs: number,
    private readonly sink: AttemptSink,
  ) {}

  /** The model run time the replica reported (Server-Timing `infer;dur=`), ms, or NaN. */
  reportedInferMs(): number {
    const h = this.rawHeaders;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!;
      if (name.length === 13 && name.toString('latin1').toLowerCase() === 'server-timing')
        return inferDurMs(h[i + 1]!.toString('latin1'));
    }
    return NaN;
  }

  /** Gives up on this attempt: aborts the upstream request now or as soon as it starts. */
  abort(): void {
    this.aborted = true;
    if (this.abortFn !== null) this.abortFn(new Error('deadline passed'));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.aborted) abort(new Error('deadline passed'));
  }

  onRequestSent(): void {
    this.sink.attemptSent(this);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, _statusText: string): boolean {
    const verdict = judgeAnswer(statusCode, this.upstream);
    if (verdict.interim) return true; // the real response follows
    this.headersSeen = true;
    this.status = statusCode;
    this.verdict = verdict;
    this.rawHeaders = rawHeaders;
    if (verdict.retry !== undefined) this.shed = this.sink.shouldRetryShed(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.shed) {
      this.chunks.push(chunk);
      this.bytes += chunk.length;
    }
    return true;
  }

  onComplete(_trailers: string[] | null): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.attemptDone(this);
  }

  onError(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.attemptFailed(this, err);
  }
}
