// The response cache's optional second level in Redis (gateway cache, data plane), shared by every
// gateway of the model. Redis never fails a request: a lookup gives up after cache.redis.timeout,
// a down Redis is skipped at once (ioredis reconnects with backoff), and a slow one is skipped for a
// growing while after a few timeouts in a row. The only file that loads ioredis, and only when a
// Redis level is configured: loading it costs every gateway process ~80 ms of startup otherwise.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';

export interface RedisLevelOptions {
  /** redis:// or rediss://; may hold a password, so it is never logged. */
  url: string;
  prefix: string;
  timeoutMs: number;
}

/** Timeouts in a row after which a connected but slow Redis is skipped for a while. */
const SLOW_AFTER = 3;
const MAX_BACKOFF_MS = 5000;

/** Reconnect delays: 100 ms doubling to 5 s (ioredis calls it with the attempt number from 1). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);
}

/** A URL that names a Redis, checked before any connection: the message never repeats the URL. */
export function checkRedisUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError('cache.redis.url is not a URL: write it as redis://[:password@]host:port[/db]');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new RangeError(`cache.redis.url must start with redis:// or rediss://, not ${u.protocol}//`);
}

export class RedisLevel {
  private readonly client: Redis;
  private slowInARow = 0;
  private skipUntilMs = 0;
  private down = false;

  constructor(
    private readonly o: RedisLevelOptions,
    private readonly clock: Clock,
    private readonly onError: () => void,
    private readonly log: Logger,
  ) {
    checkRedisUrl(o.url);
    const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
    this.client = new RedisClient(o.url, {
      enableOfflineQueue: false, // while disconnected, commands fail at once instead of waiting
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: Math.max(1000, o.timeoutMs * 10),
      commandTimeout: Math.max(50, o.timeoutMs * 4), // ioredis' own cleanup; requests stop waiting after timeoutMs
      retryStrategy: reconnectDelayMs,
      lazyConnect: false,
    });
    this.client.on('error', (err: Error) => {
      this.onError();
      if (!this.down)
        this.log.warn('redis unavailable: the cache serves from memory and retries with backoff', {
          error: errorMessage(err),
        });
      this.down = true;
    });
    this.client.on('ready', () => {
      if (this.down) this.log.info('redis available again');
      this.down = false;
      this.slowInARow = 0;
      this.skipUntilMs = 0;
    });
  }

  /** True when a lookup would ask Redis now. */
  get usable(): boolean {
    return this.client.status === 'ready' && this.clock.nowMs() >= this.skipUntilMs;
  }

  /** The bytes under `key`, or undefined (absent, Redis down or slow); never rejects, settles within the timeout. */
  get(key: string): Promise<Buffer | undefined> {
    if (!this.usable) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let settled = false;
      const timer = this.clock.setTimer(() => {
        if (settled) return;
        settled = true;
        this.failed(true);
        resolve(undefined);
      }, this.o.timeoutMs);
      this.client.getBuffer(this.o.prefix + key).then(
        (value) => {
          if (settled) return;
          settled = true;
          this.clock.clearTimer(timer);
          this.slowInARow = 0;
          resolve(value ?? undefined);
        },
        () => {
          if (settled) return;
          settled = true;
          this.clock.clearTimer(timer);
          this.failed(false);
          resolve(undefined);
        },
      );
    });
  }

  /** Stores `value` under `key` for `ttlMs`, without waiting; a failure is only counted. */
  set(key: string, value: Buffer, ttlMs: number): void {
    if (!this.usable) return;
    this.client.set(this.o.prefix + key, value, 'PX', Math.max(1, Math.round(ttlMs))).catch(() => this.failed(false));
  }

  async close(): Promise<void> {
    this.client.disconnect(false);
  }

  private failed(timeout: boolean): void {
    this.onError();
    if (!timeout) return;
    if (++this.slowInARow >= SLOW_AFTER) {
      const backoffMs = reconnectDelayMs(this.slowInARow - SLOW_AFTER + 1);
      this.skipUntilMs = this.clock.nowMs() + backoffMs;
      if (this.slowInARow === SLOW_AFTER)
        this.log.warn('redis is slow: skipping it for a while', { timeoutMs: this.o.timeoutMs, backoffMs });
    }
  }
}
