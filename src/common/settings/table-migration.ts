// The gateway's migration settings (common, every plane): other OIP v2 servers beside the replicas
// (external weights, a fallback, a shadow), kept in their own file beside the other gateway rows.
import type { TableSetting } from './settings.js';

/** Migration rows of the gateway's settings table (profile: gateway.external, gateway.fallback, gateway.shadow). */
export const gatewayMigrationSettings = {
  externalServers: {
    from: 'gateway.external', // formatted as URL=PERCENT,... (child-args.ts converts)
    kind: 'text',
    help:
      'Other OIP v2 servers taking a share of infer requests, URL=PERCENT separated by ' +
      'commas ("http://old:8080=20"); the replicas take the rest (100% minus the sum).',
  },
  fallbackUrl: {
    from: 'gateway.fallbackUrl',
    kind: 'text',
    help:
      'OIP v2 server (http(s) base URL) that answers instead of a 503 when no replica ' +
      'is ready or all are shedding.',
  },
  shadowUrl: {
    from: 'gateway.shadow.url',
    kind: 'text',
    help:
      'OIP v2 server (http(s) base URL) that gets a copy of a share of infer requests; ' +
      'its answers are compared with ours, counted, never returned.',
  },
  shadowShare: {
    from: 'gateway.shadow.share',
    kind: 'number',
    default: 0.1,
    min: 0,
    max: 1,
    help: 'Share of infer requests copied to --shadow-url, from 0 to 1.',
  },
} as const satisfies Record<string, TableSetting>;
