// How the gateway's own features carry to each target (export plane, pure): client tokens, TLS and
// the response cache live at serve's gateway, which no target has; each engine has its own place.
import { rows, type CarryContext, type CarryRow } from './carry-types.js';

/** Client tokens and quotas are the gateway's: an engine puts them at its ingress. */
const authRow: CarryRow = {
  triton: {
    warn: (c) =>
      c.profile.gateway.auth
        ? 'gateway.auth (bearer tokens and quotas) does not carry: Triton has no client ' +
          'authentication; put it at a proxy in front of it'
        : undefined,
  },
  kserve: {
    warn: (c) =>
      c.profile.gateway.auth
        ? 'gateway.auth (bearer tokens and quotas) does not carry: put it at the ingress ' +
          '(Istio AuthorizationPolicy, or an API gateway)'
        : undefined,
  },
  ray: {
    warn: (c) =>
      c.profile.gateway.auth
        ? 'gateway.auth (bearer tokens and quotas) does not carry: put it at the ingress ' +
          "in front of Ray Serve's HTTP proxy"
        : undefined,
  },
};

/** HTTPS on the gateway: each engine terminates TLS its own way. */
const tlsRow: CarryRow = {
  triton: {
    warn: (c) =>
      c.profile.gateway.tls
        ? 'gateway.tls does not carry: tritonserver serves plain HTTP; terminate TLS at a ' + 'proxy in front of it'
        : undefined,
  },
  kserve: {
    warn: (c) =>
      c.profile.gateway.tls
        ? 'gateway.tls does not carry: terminate TLS at the ingress (a ' +
          'Gateway/VirtualService with the certificate as a secret)'
        : undefined,
  },
  ray: {
    warn: (c) =>
      c.profile.gateway.tls
        ? 'gateway.tls does not carry: give Ray Serve http_options.ssl_keyfile and ' +
          'ssl_certfile, or terminate TLS at the ingress'
        : undefined,
  },
};

const tritonCacheFlag = (c: CarryContext) =>
  `Triton's response cache works only when the server is started with ` +
  `--cache-config local,size=${c.profile.cache.maxBytes}`;

/** Other servers beside the replicas are the gateway's routing: no engine splits traffic with a server outside it. */
const migrationRow = (field: string, set: (c: CarryContext) => boolean, how: string): CarryRow => ({
  triton: {
    warn: (c) =>
      set(c) ? `${field} does not carry: Triton serves alone; ${how} at a proxy in front of it` : undefined,
  },
  kserve: {
    warn: (c) =>
      set(c)
        ? `${field} does not carry: KServe routes only to its own predictors; ${how} at ` +
          `the ingress (an Istio VirtualService)`
        : undefined,
  },
  ray: {
    warn: (c) =>
      set(c)
        ? `${field} does not carry: Ray Serve routes only to its own replicas; ${how} at ` +
          `the ingress in front of it`
        : undefined,
  },
});

/** Rows of the gateway's fields, spread into the carry table (export/carry.ts). */
export const gatewayCarry: Record<string, CarryRow> = {
  ...rows(
    ['gateway.auth.tokens', 'gateway.auth.tokens_file', 'gateway.auth.open_health', 'gateway.auth.open_metrics'],
    authRow,
  ),
  ...rows(['gateway.tls.cert', 'gateway.tls.key'], tlsRow),
  'gateway.external': migrationRow(
    'gateway.external',
    (c) => c.profile.gateway.external !== undefined,
    'split traffic by weight with the existing service',
  ),
  'gateway.fallback.url': migrationRow(
    'gateway.fallback',
    (c) => c.profile.gateway.fallbackUrl !== undefined,
    'route to the existing service when no replica is ready',
  ),
  ...rows(
    ['gateway.shadow.url', 'gateway.shadow.share'],
    migrationRow(
      'gateway.shadow',
      (c) => c.profile.gateway.shadow !== undefined,
      'mirror requests (an Istio mirror, or nginx mirror) and compare the answers yourself',
    ),
  ),
  'cache.enabled': {
    triton: {
      to: 'response_cache { enable: true } in config.pbtxt',
      warn: (c) => (c.profile.cache.enabled ? tritonCacheFlag(c) : undefined),
    },
    kserve: {
      to: 'the Triton config (response_cache)',
      warn: (c) =>
        c.profile.cache.enabled ? `${tritonCacheFlag(c)} (add it to the ServingRuntime's args)` : undefined,
    },
    ray: {
      warn: (c) =>
        c.profile.cache.enabled
          ? 'Ray Serve has no response cache: the cache section does not carry (cache in the ' +
            "module, or keep serve's gateway in front)"
          : undefined,
    },
  },
  'cache.max_bytes': {
    triton: { to: 'tritonserver --cache-config local,size=BYTES (see cache.enabled)' },
    kserve: { to: "the ServingRuntime's --cache-config (see cache.enabled)" },
    ray: { na: 'see cache.enabled' },
  },
  ...rows(['cache.max_entries', 'cache.ttl'], {
    triton: {
      warn: (c) =>
        c.profile.cache.enabled
          ? "Triton's response cache is bounded by bytes only: cache.max_entries and " +
            'cache.ttl do not carry (an answer stays until evicted; Triton keys versions apart)'
          : undefined,
    },
    kserve: {
      warn: (c) =>
        c.profile.cache.enabled
          ? "Triton's response cache is bounded by bytes only: cache.max_entries and " +
            'cache.ttl do not carry (an answer stays until evicted; Triton keys versions apart)'
          : undefined,
    },
    ray: { na: 'see cache.enabled' },
  }),
  ...rows(['cache.redis.url', 'cache.redis.prefix', 'cache.redis.timeout'], {
    triton: {
      warn: (c) =>
        c.profile.cache.enabled && c.profile.cache.redis
          ? "the Redis level does not carry as written: Triton's Redis cache replaces the " +
            'local one (tritonserver --cache-config redis,host=...,port=...), with no key ' +
            'prefix or timeout'
          : undefined,
    },
    kserve: {
      warn: (c) =>
        c.profile.cache.enabled && c.profile.cache.redis
          ? "the Redis level does not carry as written: Triton's Redis cache replaces the " +
            "local one (--cache-config redis,host=...,port=... in the ServingRuntime's " +
            'args), with no key prefix or timeout'
          : undefined,
    },
    ray: { na: 'see cache.enabled' },
  }),
};
