// The profile's gateway sections (control plane): the public endpoint, its auth and TLS, versions
// (external, fallback, shadow) and the response cache; the leaves come from the settings table.
import { gatewaySettingsTable as gw, type GatewaySettings } from '../../common/settings/table-gateway.js';
import { tokensLeaf } from '../auth-tokens.js';
import { external, fallback, shadow } from './migration-fields.js';
import { boolean, section, settingLeaf, text } from './fields.js';

const gateway = <K extends keyof GatewaySettings>(k: K, what?: string) => settingLeaf<GatewaySettings[K]>(gw[k], what);

const auth = section(
  'Bearer tokens clients must send (`Authorization: Bearer TOKEN`); without tokens ' + 'the gateway lets anyone in.',
  {
    tokens: tokensLeaf(
      'Accepted tokens: each a string (usually "${ENV_VAR}") or {token, name, ' +
        'requests_per_second, burst}; hashed when the profile loads.',
    ),
    tokens_file: text({
      what: 'a file path such as "/etc/serve/tokens"',
      doc:
        'A file of more tokens, one a line: `[name] token [requests_per_second=N] ' +
        '[burst=N]`; must be mode 0600 (a relative path is taken from the directory serve runs in).',
      defaultText: 'none',
    }),
    open_health: boolean({
      doc: 'Answer /v2/health/live and /v2/health/ready without a token (load balancers, probes).',
      default: true,
    }),
    open_metrics: boolean({
      doc: 'Answer /metrics without a token; off, Prometheus sends a token too.',
      default: false,
    }),
  },
);

const tls = section(
  'HTTPS on the gateway; the files are read again on SIGHUP to the gateway ' +
    '(renewed certificates, no dropped connection).',
  {
    cert: text({
      what: 'a PEM file path such as "/etc/serve/tls/cert.pem"',
      doc: 'Certificate chain (PEM) the gateway presents.',
      defaultText: 'none (plain HTTP)',
    }),
    key: text({
      what: 'a PEM file path such as "/etc/serve/tls/key.pem"',
      doc: 'Private key (PEM) of the certificate.',
      defaultText: 'none',
    }),
  },
);

export const gatewaySection = section('The public endpoint in front of the replicas.', {
  host: gateway('host', 'a host or IP address such as "127.0.0.1"'),
  port: gateway('port'),
  max_queued_requests: gateway('maxQueuedRequests'),
  request_timeout: gateway('requestTimeoutMs'),
  eject_after_failures: gateway('ejectAfterFailures'),
  eject_for: gateway('ejectForMs'),
  try_timeout_min: gateway('tryTimeoutMinMs'),
  replica_transport: gateway('replicaTransport'),
  keep_connections: gateway('keepConnections'),
  auth,
  tls,
  external,
  fallback,
  shadow,
});

export const cache = section(
  'Response cache of the gateway: a repeated infer request is answered without a replica hop.',
  {
    enabled: gateway('cacheEnabled'),
    max_entries: gateway('cacheMaxEntries'),
    max_bytes: gateway('cacheMaxBytes'),
    ttl: gateway('cacheTtlMs'),
    redis: section(
      'Optional second level in Redis, shared by every gateway of the model; when it ' +
        'is slow or down, requests are served without it.',
      {
        url: gateway(
          'cacheRedisUrl',
          'a URL such as "redis://127.0.0.1:6379" (use ${REDIS_URL} for one with a password)',
        ),
        prefix: gateway('cacheRedisPrefix', 'a key prefix such as "serve:cache:"'),
        timeout: gateway('cacheRedisTimeoutMs'),
      },
    ),
  },
);
