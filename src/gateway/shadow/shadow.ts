// The shadow server (gateway, data plane): a share of infer requests answered by a replica is copied
// to another OIP v2 server after our answer is written, its answer compared with ours and counted;
// it is never returned, never delays a client, and at most a fixed number of copies are in flight.
import { Counter, type Registry } from 'prom-client';
import type { Dispatcher } from 'undici';
import { BINARY_HEADER_LENGTH } from '../../common/wire.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { answersAgree, outputsOf } from './compare.js';

/** What the shadow needs of an answered request. */
export interface ShadowOffer {
  /** Path and query of the request, such as /v2/models/m/infer. */
  url: string;
  /** Request headers as Node gives them (content-type is passed on). */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Our answer's status and body. */
  status: number;
  answer: Buffer;
}

export interface ShadowOptions {
  /** Share of infer requests copied, 0 to 1. */
  share: number;
  /** Copies in flight at most; one more is dropped (counted). */
  maxInflight: number;
  /** A copy not answered within this long is an error, in milliseconds. */
  timeoutMs: number;
}

export class Shadow {
  /** Copies sent and not yet answered. */
  inflight = 0;
  private readonly requests: Counter;
  private readonly agreements: Counter;
  private readonly disagreements: Counter;
  private readonly errors: Counter;
  private readonly dropped: Counter;
  private lastErrorLogMs = -Infinity;

  constructor(
    private readonly pool: Dispatcher,
    private readonly o: ShadowOptions,
    private readonly clock: Clock,
    registry: Registry,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {
    ({
      requests: this.requests,
      agreements: this.agreements,
      disagreements: this.disagreements,
      errors: this.errors,
      dropped: this.dropped,
    } = shadowCounters(registry));
  }

  /** Called after our answer is written: copies the request to the shadow server for its share. */
  offer(req: ShadowOffer): void {
    if (req.status !== 200 || req.headers[BINARY_HEADER_LENGTH] !== undefined || this.random() >= this.o.share) return;
    if (this.inflight >= this.o.maxInflight) return this.dropped.inc();
    const ours = parseOutputs(req.answer);
    if (ours === undefined) return; // our answer is not JSON outputs (binary): nothing to compare
    this.inflight++;
    this.requests.inc();
    const contentType = req.headers['content-type'];
    this.pool
      .request({
        path: req.url,
        method: 'POST',
        body: req.body,
        headers: { 'content-type': typeof contentType === 'string' ? contentType : 'application/json' },
        headersTimeout: this.o.timeoutMs,
        bodyTimeout: this.o.timeoutMs,
      })
      .then(
        async (res) => {
          const text = await res.body.text();
          if (res.statusCode !== 200) return this.failed(`status ${res.statusCode}`);
          const theirs = parseOutputs(Buffer.from(text));
          if (theirs === undefined) return this.failed('its answer has no OIP v2 outputs');
          (answersAgree(ours, theirs) ? this.agreements : this.disagreements).inc();
        },
        (err: Error) => this.failed((err as { code?: string }).code ?? err.message),
      )
      .finally(() => this.inflight--);
  }

  private failed(reason: string): void {
    this.errors.inc();
    const nowMs = this.clock.nowMs();
    // At most one line a minute: a shadow that is down must not flood the log.
    if (nowMs - this.lastErrorLogMs < 60_000) return;
    this.lastErrorLogMs = nowMs;
    this.log.warn('shadow copy failed (counted in serve_gateway_shadow_errors_total)', { reason });
  }
}

function parseOutputs(body: Buffer): ReturnType<typeof outputsOf> {
  try {
    return outputsOf(JSON.parse(body.toString('utf8')));
  } catch {
    return undefined;
  }
}

/** The shadow's counters on `registry` (also how the metrics reference lists them without a shadow). */
export function shadowCounters(
  registry: Registry,
): Record<'requests' | 'agreements' | 'disagreements' | 'errors' | 'dropped', Counter> {
  const counter = (name: string, help: string) =>
    new Counter({ name: `serve_gateway_shadow_${name}_total`, help, registers: [registry] });
  return {
    requests: counter(
      'requests',
      'Copies of infer requests sent to the shadow server (requests = agreements + ' +
        'disagreements + errors once all are answered).',
    ),
    agreements: counter(
      'agreements',
      'Shadow answers that agreed with ours (same predicted class per row, or values ' + 'within tolerance).',
    ),
    disagreements: counter('disagreements', 'Shadow answers that did not agree with ours.'),
    errors: counter(
      'errors',
      'Copies the shadow server failed: no connection, no answer in time, a status ' +
        'other than 200, or no OIP v2 outputs.',
    ),
    dropped: counter(
      'dropped',
      'Copies not sent because as many as the cap were in flight at the shadow server already.',
    ),
  };
}
