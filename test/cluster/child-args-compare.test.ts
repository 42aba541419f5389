// Temporary: the table-walking builder gives children the very settings the hand-written mapping
// gave (old code copied here), on the repo's profiles/ and on one with every optional section set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { formatExternalServers } from '../../src/common/external-servers.js';
import { defaultsOf } from '../../src/common/settings.js';
import { replicaSettingsTable, type ReplicaSettings } from '../../src/common/settings-table.js';
import { gatewaySettingsTable, type GatewaySettings } from '../../src/common/settings-table-gateway.js';
import { gatewayLaunch, replicaLaunch, type ReplicaRunOptions } from '../../src/cluster/child-args.js';
import { parseProfile } from '../../src/profile/parse.js';
import type { Profile } from '../../src/profile/types.js';

const replicaDefaults = defaultsOf(replicaSettingsTable) as Omit<ReplicaSettings, 'model'>;
const gatewayDefaults = defaultsOf(gatewaySettingsTable) as GatewaySettings;

/** Every setting of one replica of `profile`; typed, so a new setting cannot be forgotten here. */
function replicaSettings(profile: Profile, o: ReplicaRunOptions): ReplicaSettings {
  return {
    ...replicaDefaults,
    model: `${profile.model.name}@${o.modelVersion}`,
    registry: o.registry,
    host: o.listenHost ?? '127.0.0.1',
    port: 0,
    maxBatchSize: profile.batching.maxBatchSize,
    batchWaitMs: profile.batching.batchWaitMs,
    batchingMode: profile.batching.mode,
    maxQueuedRequests: profile.batching.maxQueuedRequests,
    device: profile.runtime.device,
    threads: profile.runtime.threads,
    drainTimeoutMs: profile.drainTimeoutMs,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? replicaDefaults.heartbeatTimeoutMs,
    ...(o.authToken === undefined ? {} : { authToken: o.authToken }),
  };
}

/** Every setting of the gateway of `profile`; `port` overrides the profile's (kept across restarts). */
function gatewaySettings(profile: Profile, port?: number, replicaToken?: string): GatewaySettings {
  const g = profile.gateway;
  return {
    ...gatewayDefaults,
    host: g.host,
    port: port ?? g.port,
    maxQueuedRequests: g.maxQueuedRequests,
    requestTimeoutMs: g.requestTimeoutMs,
    ejectAfterFailures: g.ejectAfterFailures,
    ejectForMs: g.ejectForMs,
    drainTimeoutMs: profile.drainTimeoutMs,
    cacheEnabled: profile.cache.enabled,
    cacheMaxEntries: profile.cache.maxEntries,
    cacheMaxBytes: profile.cache.maxBytes,
    cacheTtlMs: profile.cache.ttlMs,
    // Only on stdin (never argv): it may hold a password.
    ...(profile.cache.redis ? { cacheRedisUrl: profile.cache.redis.url } : {}),
    cacheRedisPrefix: profile.cache.redisPrefix,
    cacheRedisTimeoutMs: profile.cache.redisTimeoutMs,
    ...(replicaToken === undefined ? {} : { replicaToken }),
    // The p99 alert (ops/) counts requests slower than the target at this bucket.
    latencyBucketMs: profile.slo.p99Ms ?? gatewayDefaults.latencyBucketMs,
    auth: g.auth !== undefined,
    tlsCert: g.tls?.certPath,
    tlsKey: g.tls?.keyPath,
    // Weights as percent of infer requests, "URL=PERCENT,..." (common/external-servers.ts).
    ...(g.external
      ? {
          externalServers: formatExternalServers(
            g.external.map((e) => ({ url: e.url, weightPercent: e.weight * 100 })),
          ),
        }
      : {}),
    ...(g.fallbackUrl !== undefined ? { fallbackUrl: g.fallbackUrl } : {}),
    ...(g.shadow ? { shadowUrl: g.shadow.url, shadowShare: g.shadow.share } : {}),
  };
}

const everything = (p: Profile): Profile => ({
  ...p,
  slo: { ...p.slo, p99Ms: 250 },
  gateway: {
    ...p.gateway,
    auth: { tokens: [], openHealth: true, openMetrics: false },
    tls: { certPath: '/etc/c.pem', keyPath: '/etc/k.pem' },
    external: [{ url: 'http://old:8080', weight: 0.2 }],
    fallbackUrl: 'http://fb:8080',
    shadow: { url: 'http://shadow:8080', share: 0.3 },
  },
  cache: { ...p.cache, enabled: true, redis: { url: 'redis://127.0.0.1:6390', prefix: 'x:', timeoutMs: 9 } },
});

const settingsOf = (line: string) => (JSON.parse(line) as { settings: object }).settings;

test('children get the same settings from the new builder as from the old mapping', () => {
  const dir = path.resolve('profiles');
  // A schedule profile (trading-day) names other profiles: they are among the files.
  const files = readdirSync(dir).filter(
    (f) => f.endsWith('.yaml') && !/^schedule:/m.test(readFileSync(path.join(dir, f), 'utf8')),
  );
  assert.ok(files.length >= 3);
  let compared = 0;
  for (const file of files) {
    const parsed = parseProfile(readFileSync(path.join(dir, file), 'utf8'), path.join(dir, file), {}, dir);
    for (const p of [parsed, everything(parsed)]) {
      const runs: ReplicaRunOptions[] = [
        { modelVersion: 3, registry: '/r' },
        { modelVersion: 1, registry: '/x', listenHost: '10.0.0.1', authToken: 'tok', heartbeatTimeoutMs: 3000 },
      ];
      for (const o of runs) {
        const line = replicaLaunch(p, { ...o, cliEntry: 'm.js', replicaId: 'r-1' }).stdinLines[0]!;
        assert.deepStrictEqual(settingsOf(line), JSON.parse(JSON.stringify(replicaSettings(p, o))), file);
        compared++;
      }
      for (const [port, token] of [
        [undefined, undefined],
        [8123, 'tok'],
      ] as const) {
        const line = gatewayLaunch(p, { cliEntry: 'm.js', port, replicaToken: token }).stdinLines[0]!;
        assert.deepStrictEqual(settingsOf(line), JSON.parse(JSON.stringify(gatewaySettings(p, port, token))), file);
        compared++;
      }
    }
  }
  assert.ok(compared >= 24, `compared ${compared}`);
});
