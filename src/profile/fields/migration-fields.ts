// The profile's fields for moving off an existing service (control plane): gateway.external,
// gateway.fallback and gateway.shadow, and the rules between them (URLs, weights adding up).
import { isBaseUrl } from '../../common/external-servers.js';
import { formatValue, fraction, list, section, text } from './fields.js';
import type { ProfileProblem } from '../problems.js';
import type { Walked } from '../walk.js';
import { nestWalked } from '../walk-context.js';

const url = (doc: string, defaultText: string) =>
  text({ what: 'an http:// or https:// base URL such as "http://fastapi.internal:8080"', doc, defaultText });

export const external = list(
  'Other OIP v2 servers (the existing service) that take a share of infer requests ' +
    'while traffic moves to serve; the replicas take 100% minus the sum of the weights.',
  section('One other OIP v2 server serving the same model name.', {
    url: text({
      what: 'an http:// or https:// base URL such as "http://fastapi.internal:8080"',
      doc: 'Base URL of the server; requests keep their path (/v2/models/NAME/infer).',
      required: true,
    }),
    weight: fraction({
      doc:
        'Share of infer requests sent to it first; a failed try is retried on a replica, ' +
        'and 0% means only when no replica can answer.',
      required: true,
    }),
  }),
  { maxItems: 16, defaultText: 'none: the replicas take every request' },
);

export const fallback = section(
  'The server that answers instead of a 503 when no replica is ready or all are shedding.',
  {
    url: url(
      'Base URL of the fallback OIP v2 server (for example the existing FastAPI service).',
      'none: 503 + Retry-After',
    ),
  },
);

export const shadow = section(
  'A server that gets a copy of a share of the infer requests our replicas ' +
    'answered; its answers are compared with ours and counted in /metrics, never returned.',
  {
    url: url('Base URL of the shadow OIP v2 server.', 'none: no copies'),
    share: fraction({
      doc:
        'Share of infer requests copied to the shadow server (at most 64 copies in ' +
        "flight, the gateway's cap per replica; more are dropped and counted).",
      default: '10%',
    }),
  },
);

/** Migration values of the gateway in the Profile (profile/types.ts). */
export interface GatewayMigration {
  /** Other servers and their share of infer requests (fractions, summing to at most 1). */
  external?: Array<{ url: string; weight: number }>;
  fallbackUrl?: string;
  shadow?: { url: string; share: number };
}

/** The Profile's migration values from the nested YAML values of `gateway`. */
export function migrationOf(g: {
  external?: Array<{ url: string; weight: number }>;
  fallback: { url?: string };
  shadow: { url?: string; share: number };
}): GatewayMigration {
  return {
    ...(g.external !== undefined && g.external.length > 0
      ? { external: g.external.map((e) => ({ url: e.url, weight: e.weight })) }
      : {}),
    ...(g.fallback.url !== undefined ? { fallbackUrl: g.fallback.url } : {}),
    ...(g.shadow.url !== undefined ? { shadow: { url: g.shadow.url, share: g.shadow.share } } : {}),
  };
}

/** URLs are http(s) base URLs, the weights add up to at most 100%, and shadow.share has a shadow.url. */
export function checkMigration(w: Walked, file: string): ProfileProblem[] {
  const problems: ProfileProblem[] = [];
  const report = (path: string, message: string) => {
    const at = w.positions.get(path) ?? w.positions.get('gateway.external') ?? { line: 1, col: 1 };
    problems.push({ file, line: at.line, col: at.col, path, message });
  };
  const badUrl = (path: string, value: unknown) => {
    if (typeof value === 'string' && !w.invalid.has(path) && !isBaseUrl(value)) {
      report(
        path,
        `got "${value.slice(0, 80)}", expected an http:// or https:// base URL such as ` +
          `"http://fastapi.internal:8080" (no path)`,
      );
    }
  };
  badUrl('gateway.fallback.url', w.values.get('gateway.fallback.url'));
  badUrl('gateway.shadow.url', w.values.get('gateway.shadow.url'));
  if (w.given.has('gateway.shadow.share') && !w.values.has('gateway.shadow.url'))
    report(
      'gateway.shadow.share',
      "is set but gateway.shadow.url is not: add the shadow server's url, or remove share",
    );
  if ([...w.invalid].some((p) => p.startsWith('gateway.external'))) return problems;
  const items =
    (nestWalked(w.values).gateway as { external?: Array<{ url: string; weight: number }> } | undefined)?.external ?? [];
  items.forEach((e, i) => badUrl(`gateway.external[${i}].url`, e.url));
  const sum = items.reduce((s, e) => s + e.weight, 0);
  if (sum > 1 + 1e-9)
    report(
      'gateway.external',
      `the weights add up to ${formatValue('percent', sum)}, expected at most 100% ` +
        `(the replicas take 100% minus the sum)`,
    );
  return problems;
}
