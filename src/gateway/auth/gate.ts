// Who may use the gateway (gateway, data plane): every request but the open paths needs a known
// bearer token, and a token over its quota waits its turn. The verdict is plain data (status,
// message, headers) so the server writes it like any other answer; a refusal never quotes a token.
import type { AuthConfig, HashedToken } from '../../common/auth.js';
import type { AuthMetrics } from './metrics.js';
import { TokenBucket } from './quota.js';
import { TokenCheck } from './token-check.js';

/** A refusal to write, or undefined: let the request in. */
export interface Refusal {
  status: 401 | 429 | 503;
  message: string;
  headers: Record<string, string>;
}

const CHALLENGE = 'Bearer realm="serve"';

/** The paths a profile may open to callers without a token. */
const HEALTH_PATHS = new Set(['/v2/health/live', '/v2/health/ready']);

export class AuthGate {
  private config: AuthConfig | undefined;
  private check: TokenCheck | undefined;
  private buckets = new Map<string, TokenBucket>();

  /** `required`: tokens are coming (the gateway was started with --auth); until they arrive, everything waits. */
  constructor(
    private readonly required: boolean,
    private readonly metrics: AuthMetrics,
  ) {}

  /** True once requests need a token (configured, or announced and not yet here). */
  get enabled(): boolean {
    return this.required || this.config !== undefined;
  }

  /** Sets the accepted tokens; a token keeps its bucket when its name and quota stay the same. */
  configure(config: AuthConfig): void {
    const buckets = new Map<string, TokenBucket>();
    for (const t of config.tokens) {
      if (t.requestsPerSecond === undefined) continue;
      const old = this.buckets.get(t.name);
      const fresh = new TokenBucket(t.requestsPerSecond, t.burst);
      const same = old !== undefined && old.ratePerSec === fresh.ratePerSec && old.capacity === fresh.capacity;
      buckets.set(t.name, same ? old : fresh);
    }
    this.config = config;
    this.check = new TokenCheck(config.tokens);
    this.buckets = buckets;
  }

  /** The refusal for a request to `path` with this Authorization header at `nowMs`, or undefined. */
  judge(path: string, authorization: string | undefined, nowMs: number): Refusal | undefined {
    if (!this.enabled) return undefined;
    const config = this.config;
    if (config === undefined || this.check === undefined) {
      return {
        status: 503,
        message: 'the gateway is waiting for its tokens; retry later',
        headers: { 'retry-after': '1' },
      };
    }
    if ((config.openHealth && HEALTH_PATHS.has(path)) || (config.openMetrics && path === '/metrics')) return undefined;
    const who = this.check.identify(authorization);
    if ('missing' in who) {
      this.metrics.refused('missing');
      return {
        status: 401,
        message: 'this gateway needs a bearer token: send the header Authorization: Bearer <token>',
        headers: { 'www-authenticate': CHALLENGE },
      };
    }
    if ('invalid' in who) {
      this.metrics.refused('invalid');
      return {
        status: 401,
        message: 'the bearer token is not valid here',
        headers: { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` },
      };
    }
    return this.quota(who.token, nowMs);
  }

  private quota(token: HashedToken, nowMs: number): Refusal | undefined {
    const waitMs = this.buckets.get(token.name)?.take(nowMs) ?? 0;
    if (waitMs <= 0) {
      this.metrics.admittedAs(token.name);
      return undefined;
    }
    this.metrics.overQuotaAs(token.name);
    const retryS = Math.max(1, Math.ceil(waitMs / 1000));
    const burst = this.buckets.get(token.name)!.capacity;
    return {
      status: 429,
      message:
        `token "${token.name}" is over its quota of ${token.requestsPerSecond} requests ` +
        `per second (burst ${burst}); retry after ${retryS} s`,
      headers: { 'retry-after': String(retryS) },
    };
  }
}
