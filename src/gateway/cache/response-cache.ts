// The gateway's response cache (gateway cache, data plane): looks a request up before it is
// forwarded (memory, then Redis) and keeps the replica's 200 answers. Keys carry the model version
// (the path's, or for an unversioned path the version replicas reported last, forgotten whenever the
// replica set changes, so a new version never serves an old version's answers) and the digest of the
// model bytes, so different weights under one name and version never share an entry. A request a
// replica would refuse (wrong Content-Type or Content-Encoding, a non-string id) is never looked up.
import type { IncomingHttpHeaders } from 'node:http';
import type { Registry } from 'prom-client';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { GatewaySettings } from '../../common/settings/table-gateway.js';
import { inferHeaderProblem } from '../../common/infer-headers.js';
import { BINARY_HEADER_LENGTH, CACHE_STATUS, MODEL_DIGEST_HEADER, MODEL_VERSION_HEADER } from '../../common/wire.js';
import { answerBody, answerBytes, answerFromReply, decodeAnswer, encodeAnswer, type CachedAnswer } from './answer.js';
import { CacheMetrics, type CacheLevel } from './cache-metrics.js';
import { MemoryStore } from './memory-store.js';
import { RedisLevel } from './redis-level.js';
import { requestKey, type RequestKey } from './request-key.js';

export type CacheSettings = Pick<
  GatewaySettings,
  'cacheMaxEntries' | 'cacheMaxBytes' | 'cacheTtlMs' | 'cacheRedisUrl' | 'cacheRedisPrefix' | 'cacheRedisTimeoutMs'
>;

/** What the cache knows of one request: its key parts (undefined: not cacheable). */
export interface CacheTicket {
  key: RequestKey | undefined;
}

/** A hit: the answer's body and headers, ready to write. */
export interface CacheHit {
  body: Buffer;
  headers: Record<string, string | number>;
}

export type Lookup = CacheHit | undefined;

/** What a request must offer the cache: its URL, headers and whole body. */
export interface CacheRequest {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Where an answer came from: the replica, whose model digest the answer teaches (when it did not say before). */
export interface AnswerSource {
  modelDigest?: string | undefined;
}

export class ResponseCache {
  private readonly memory: MemoryStore<CachedAnswer>;
  private readonly redis: RedisLevel | undefined;
  private readonly metrics: CacheMetrics;
  /** Per model, the version unversioned requests were last answered with (since the replica set last changed). */
  private readonly served = new Map<string, string>();
  /** Whether answers of a version may go to clients now (it is in the set and has traffic weight); default: any. */
  serving: (version: string) => boolean = () => true;
  /** The digest of the model bytes that would answer `version` now (UpstreamSet.weightsOf); undefined: unknown, nothing is looked up. */
  weightsOf: (version: string) => string | undefined = () => undefined;

  constructor(
    private readonly s: CacheSettings,
    private readonly clock: Clock,
    registry: Registry,
    log: Logger,
  ) {
    this.memory = new MemoryStore({ maxEntries: s.cacheMaxEntries, maxBytes: s.cacheMaxBytes, ttlMs: s.cacheTtlMs });
    this.metrics = new CacheMetrics(registry, {
      bytes: () => this.memory.bytes,
      entries: () => this.memory.size,
      evictions: () => this.memory.evictions,
    });
    this.redis =
      s.cacheRedisUrl === undefined
        ? undefined
        : new RedisLevel(
            { url: s.cacheRedisUrl, prefix: s.cacheRedisPrefix, timeoutMs: s.cacheRedisTimeoutMs },
            clock,
            () => this.metrics.redisError(),
            log,
          );
  }

  /**
   * Looks `req` up: a hit (memory, or Redis within its timeout), or undefined to forward it. Fills
   * `ticket` so that the answer can be kept. Synchronous unless Redis is asked.
   */
  lookup(req: CacheRequest, ticket: CacheTicket): Lookup | Promise<Lookup> {
    // What a replica refuses on a miss (415) must not be answered 200 from the cache: such a request
    // is not looked up (a bypass), and the replica answers it as it would any miss.
    const rawLen = req.headers[BINARY_HEADER_LENGTH];
    const headerLength =
      rawLen === undefined ? undefined : typeof rawLen === 'string' && /^\d{1,12}$/.test(rawLen) ? Number(rawLen) : NaN;
    const key =
      Number.isNaN(headerLength) || inferHeaderProblem(req.headers) !== undefined
        ? undefined
        : requestKey(req.url, req.body, headerLength);
    ticket.key = key;
    if (key === undefined) return undefined;
    const version = key.pathVersion ?? this.served.get(key.model);
    // A version that stopped serving (rolled back, or replaced) is never answered from the cache.
    if (version === undefined || !this.serving(version)) return this.missed();
    const weights = this.weightsOf(version);
    if (weights === undefined) return this.missed();
    const id = storeKey(key, version, weights);
    const answer = this.memory.get(id, this.clock.nowMs());
    if (answer !== undefined) return this.hit(answer, key, weights, 'memory');
    if (this.redis === undefined || !this.redis.usable) return this.missed();
    return this.redis.get(id).then((bytes) => {
      const found = bytes === undefined ? undefined : decodeAnswer(bytes);
      if (found === undefined || found.version !== version) return this.missed();
      this.memory.set(id, found, answerBytes(found), this.clock.nowMs());
      return this.hit(found, key, weights, 'redis');
    });
  }

  /** The Cache-Status of a forwarded request that was looked up (a miss, or a bypass when it could not be keyed). */
  forwardedStatus(ticket: CacheTicket): string {
    return ticket.key === undefined ? CACHE_STATUS.bypass : CACHE_STATUS.miss;
  }

  /**
   * After a replica's answer to a request that was looked up went to the client: keeps it if it is
   * a 200 worth keeping (called after the write, so keeping never delays an answer), under the model
   * digest the answer carries (the bytes that computed it; `from` learns it). Returns whether it was kept.
   */
  keep(ticket: CacheTicket, status: number, rawHeaders: readonly Buffer[], body: Buffer, from?: AnswerSource): boolean {
    const key = ticket.key;
    if (key === undefined || status !== 200) return false;
    const weights = headerValue(rawHeaders, MODEL_DIGEST_HEADER);
    if (from !== undefined && weights !== undefined) from.modelDigest = weights;
    // An answer that does not say which weights computed it could be anyone's: not kept.
    if (weights === undefined) return false;
    let answer: CachedAnswer | undefined;
    try {
      answer = answerFromReply(rawHeaders, body);
    } catch {
      return false; // not JSON where it matters (a model_version that does not parse): not kept
    }
    const version = answer?.version ?? key.pathVersion;
    // A versioned path answered by another version, or an answer that names none: not kept.
    // Nor is a late answer of a version that no longer serves (a draining replica after a rollback).
    if (
      answer === undefined ||
      version === undefined ||
      (key.pathVersion !== undefined && answer.version !== undefined && answer.version !== key.pathVersion) ||
      !this.serving(version)
    ) {
      return false;
    }
    if (key.pathVersion === undefined) this.served.set(key.model, version);
    const id = storeKey(key, version, weights);
    const kept = this.memory.set(id, answer, answerBytes(answer), this.clock.nowMs());
    this.redis?.set(id, encodeAnswer(answer), this.s.cacheTtlMs);
    return kept;
  }

  /** The replicas changed (a rollout may have begun): unversioned requests miss until a replica tells the version again. */
  replicaSetChanged(): void {
    this.served.clear();
  }

  close(): Promise<void> {
    return this.redis?.close() ?? Promise.resolve();
  }

  private missed(): undefined {
    this.metrics.miss();
    return undefined;
  }

  private hit(answer: CachedAnswer, key: RequestKey, weights: string, level: CacheLevel): CacheHit {
    this.metrics.hit(level);
    const { body, headerLength } = answerBody(answer, key.idJson);
    const headers: Record<string, string | number> = {
      'content-type': answer.contentType,
      'content-length': body.length,
      'cache-status': level === 'memory' ? CACHE_STATUS.hit : CACHE_STATUS.redisHit,
    };
    if (answer.version !== undefined) headers[MODEL_VERSION_HEADER] = answer.version;
    headers[MODEL_DIGEST_HEADER] = weights;
    if (headerLength !== undefined) headers[BINARY_HEADER_LENGTH] = headerLength;
    return { body, headers };
  }
}

/** The key under which an answer is kept: model, version, the digest of the model's bytes and the request's digest. */
function storeKey(key: RequestKey, version: string, weights: string): string {
  return `${key.model}\n${version}\n${weights}\n${key.digest}`;
}

/** The value of header `name` (lower case) in a raw header list, or undefined. */
function headerValue(rawHeaders: readonly Buffer[], name: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.length === name.length && rawHeaders[i]!.toString('latin1').toLowerCase() === name)
      return rawHeaders[i + 1]!.toString('latin1');
  }
  return undefined;
}
