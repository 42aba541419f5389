// The gateway's response-cache settings (common, every plane): their rows of the data-plane settings
// table, kept in their own file so other gateway settings can be added beside them without conflict.
import type { TableSetting } from './settings.js';

/** Cache rows of the gateway's settings table (profile section `cache`). */
export const gatewayCacheSettings = {
  cacheEnabled: {
    from: 'cache.enabled',
    kind: 'boolean',
    default: false,
    profilePath: 'cache.enabled',
    help:
      'Answer a repeated infer request (same model, version, input tensors, outputs ' +
      "and answer form) from the gateway's cache.",
  },
  cacheMaxEntries: {
    from: 'cache.maxEntries',
    kind: 'integer',
    default: 10_000,
    min: 1,
    max: 10_000_000,
    profilePath: 'cache.max_entries',
    help: 'Most answers the gateway keeps in memory; the least recently used go first.',
  },
  cacheMaxBytes: {
    from: 'cache.maxBytes',
    kind: 'bytes',
    default: 64 * 1024 * 1024,
    min: 1024,
    max: 64 * 1024 ** 3,
    profilePath: 'cache.max_bytes',
    help: 'Most bytes of answers (and keys) the gateway keeps in memory; the least ' + 'recently used go first.',
  },
  cacheTtlMs: {
    from: 'cache.ttlMs',
    kind: 'durationMs',
    default: 60_000,
    positive: true,
    max: 7 * 86_400_000,
    profilePath: 'cache.ttl',
    help: 'How long a cached answer is served, in memory and in Redis.',
  },
  cacheRedisUrl: {
    from: 'cache.redis.url', // settings go on stdin, never argv: it may hold a password
    kind: 'text',
    profilePath: 'cache.redis.url',
    help:
      'redis:// or rediss:// URL of a second cache level shared by every gateway of ' +
      'the model (absent: memory only); may hold a password, which is never logged.',
  },
  cacheRedisPrefix: {
    from: 'cache.redisPrefix',
    kind: 'text',
    default: 'serve:cache:',
    profilePath: 'cache.redis.prefix',
    help: 'Prefix of every Redis key the cache writes.',
  },
  cacheRedisTimeoutMs: {
    from: 'cache.redisTimeoutMs',
    kind: 'durationMs',
    default: 5,
    positive: true,
    max: 10_000,
    profilePath: 'cache.redis.timeout',
    help: 'Longest a request waits for Redis before it is forwarded without it.',
  },
} as const satisfies Record<string, TableSetting>;
