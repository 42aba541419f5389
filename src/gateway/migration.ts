// The other OIP v2 servers of a gateway (gateway, data plane): external servers that take a weighted
// share of infer requests, and the fallback that answers when no replica can. Each is an Upstream,
// ejected for its own faults exactly like a replica and never for load.
import { Counter, type Registry } from 'prom-client';
import type { Dispatcher } from 'undici';
import type { Clock } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { GatewaySettings } from '../common/settings/table-gateway.js';
import type { Exchange } from './exchange.js';
import { isBaseUrl, parseExternalServers, pickWeighted, type ExternalServer } from './external.js';
import { Shadow } from './shadow/shadow.js';
import type { PoolFactory } from './upstream-set.js';
import { Upstream } from './upstream.js';

/** Requests sent to external and fallback servers, on `registry` (the metrics reference lists it from here). */
export function otherRequestsCounter(registry: Registry): Counter<'server'> {
  return new Counter({
    name: 'serve_gateway_other_requests_total',
    help:
      'Requests sent to another OIP v2 server instead of a replica, by server ' +
      '(external-N by weight or when no replica could take it, fallback).',
    labelNames: ['server'],
    registers: [registry],
  });
}

export class OtherServers {
  readonly externals: Upstream[];
  readonly fallback: Upstream | undefined;
  private readonly weights: number[];
  private readonly sent: Counter<'server'>;

  constructor(
    private readonly clock: Clock,
    /** In-flight cap of each server, like a replica's. */
    private readonly maxInflight: number,
    makePool: PoolFactory,
    servers: readonly ExternalServer[],
    fallbackUrl: string | undefined,
    registry: Registry,
    private readonly random: () => number = Math.random,
  ) {
    this.externals = servers.map((e, i) => new Upstream(`external-${i}`, e.url, true, makePool(e.url), 'external'));
    this.weights = servers.map((e) => e.weightPercent);
    this.fallback =
      fallbackUrl === undefined
        ? undefined
        : new Upstream('fallback', fallbackUrl, true, makePool(fallbackUrl), 'fallback');
    this.sent = otherRequestsCounter(registry);
  }

  /** Every external and fallback server. */
  get list(): Upstream[] {
    return this.fallback === undefined ? this.externals : [...this.externals, this.fallback];
  }

  /**
   * For a first try of an infer request: the external server its weighted draw picks, when that one
   * can take it now (an ejected or full server's share goes to the replicas); undefined: the replicas.
   */
  route(ex: Exchange): Upstream | undefined {
    if (!ex.infer || ex.retried || this.externals.length === 0) return undefined;
    const i = pickWeighted(this.weights, this.random());
    return i >= 0 ? this.use(this.externals[i]!) : undefined;
  }

  /**
   * When the replicas cannot take `ex` (none ready, all shedding): the fallback, else (infer only)
   * an external server, that can take it now and is not the one it just failed at.
   */
  takeOver(ex: Exchange): Upstream | undefined {
    const f = this.fallback;
    if (f !== undefined && ex.exclude !== f && this.usable(f)) return this.use(f);
    if (!ex.infer) return undefined;
    for (const u of this.externals) if (u !== ex.exclude && this.usable(u)) return this.use(u);
    return undefined;
  }

  /** True when a request failed or shed at `from` can still go to the fallback. */
  canTakeOver(from: Upstream): boolean {
    return this.fallback !== undefined && from !== this.fallback && this.usable(this.fallback);
  }

  /** True when some server here could answer a request now (the gateway need not refuse it at once). */
  canServe(): boolean {
    const nowMs = this.clock.nowMs();
    return this.list.some((u) => u.isAvailable(nowMs));
  }

  private usable(u: Upstream): boolean {
    return u.inflight < this.maxInflight && u.isAvailable(this.clock.nowMs());
  }

  private use(u: Upstream): Upstream | undefined {
    if (!this.usable(u)) return undefined;
    this.sent.labels(u.id).inc();
    return u;
  }
}

/** The migration servers of a gateway's settings, built once at start. */
export interface Migration {
  others: OtherServers | undefined;
  shadow: Shadow | undefined;
  /** Every pool made here, closed with the gateway. */
  pools: Dispatcher[];
}

type MigrationSettings = Pick<
  GatewaySettings,
  'externalServers' | 'fallbackUrl' | 'shadowUrl' | 'shadowShare' | 'maxInflightPerReplica' | 'requestTimeoutMs'
>;

/** Builds the external, fallback and shadow servers of `o`; a bad value is a UserError naming its flag. */
export function migrationOf(
  o: MigrationSettings,
  clock: Clock,
  makePool: PoolFactory,
  registry: Registry,
  log: Logger,
  random?: () => number,
): Migration {
  const pools: Dispatcher[] = [];
  const pooled: PoolFactory = (url) => {
    const p = makePool(url);
    pools.push(p);
    return p;
  };
  let servers: ExternalServer[] = [];
  try {
    servers = o.externalServers === undefined ? [] : parseExternalServers(o.externalServers);
  } catch (err) {
    throw new UserError(`--external-servers: ${(err as Error).message}`);
  }
  for (const [flag, url] of [
    ['--fallback-url', o.fallbackUrl],
    ['--shadow-url', o.shadowUrl],
  ] as const) {
    if (url !== undefined && !isBaseUrl(url))
      throw new UserError(
        `${flag}: expected an http:// or https:// base URL such as http://old:8080, got ` + `"${url.slice(0, 80)}"`,
      );
  }
  const others =
    servers.length > 0 || o.fallbackUrl !== undefined
      ? new OtherServers(clock, o.maxInflightPerReplica, pooled, servers, o.fallbackUrl, registry, random)
      : undefined;
  const shadowOptions = { share: o.shadowShare, maxInflight: o.maxInflightPerReplica, timeoutMs: o.requestTimeoutMs };
  const shadow =
    o.shadowUrl === undefined
      ? undefined
      : new Shadow(pooled(o.shadowUrl), shadowOptions, clock, registry, log, random);
  if (others !== undefined || shadow !== undefined) {
    log.info('other servers', {
      external: servers.map((e) => ({ url: redactUrl(e.url), weightPercent: e.weightPercent })),
      fallback: o.fallbackUrl && redactUrl(o.fallbackUrl),
      shadow: o.shadowUrl && redactUrl(o.shadowUrl),
    });
  }
  return { others, shadow, pools };
}

/** A URL without its user and password, for logs. */
function redactUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}
