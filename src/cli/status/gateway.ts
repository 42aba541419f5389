// What the gateway reports in the cluster status (cli, pure): the response cache's hit rate and
// contents, and the other servers (external, fallback, shadow) with what it sent each.
import { formatBytes } from '../../common/units.js';
import type { CacheStatus, OtherServersStatus } from '../../common/cluster-status.js';

/** The other servers the gateway sends to, with what it sent each (when the gateway's /metrics was read). */
export function renderOtherServers(o: OtherServersStatus): string[] {
  const n = (v: number | undefined, what: string) => (v === undefined ? '' : ` · ${v.toLocaleString('en-US')} ${what}`);
  const lines = ['Other servers:'];
  for (const e of o.external)
    lines.push(`  ${e.name} ${e.url}: ${e.weightPercent}% of infer requests` + `${n(e.requests, 'sent')}`);
  if (o.fallback)
    lines.push(`  fallback ${o.fallback.url}: when no replica can answer` + `${n(o.fallback.requests, 'sent')}`);
  const sh = o.shadow;
  if (sh) {
    const verdicts =
      sh.copies === undefined
        ? ''
        : ` (${sh.agreements ?? 0} agreed, ${sh.disagreements ?? 0} disagreed, ` +
          `${sh.errors ?? 0} errors, ${sh.dropped ?? 0} dropped)`;
    lines.push(
      `  shadow ${sh.url}: a copy of ${sh.sharePercent}% of infer requests` + `${n(sh.copies, 'copies')}${verdicts}`,
    );
  }
  return lines;
}

/** One line on the response cache: its hit rate and what it holds. */
export function renderCache(c: CacheStatus): string {
  const rate =
    c.hitRate === undefined
      ? 'no cacheable request yet'
      : `${(c.hitRate * 100).toFixed(1)}% hits (${c.hits.toLocaleString('en-US')} of ` +
        `${(c.hits + c.misses).toLocaleString('en-US')}` +
        `${c.redisHits > 0 ? `, ${c.redisHits.toLocaleString('en-US')} from Redis` : ''})`;
  return (
    `Cache: ${rate}; ${c.entries.toLocaleString('en-US')} entries, ` +
    `${formatBytes(c.bytes)}, ${c.evictions} evictions` +
    `${c.redisErrors > 0 ? `, ${c.redisErrors} Redis errors` : ''}`
  );
}
