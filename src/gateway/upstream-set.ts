// The gateway's replica set (gateway, data plane): applies the controller's whole-set updates,
// keeps pools of replicas that stay, and picks a replica for a request by power of two choices.
import type { Dispatcher } from 'undici';
import type { Clock } from '../common/clock.js';
import type { ReplicaEndpoint } from '../common/wire.js';
import type { FramePool } from './frame-pool.js';
import { leastScored, pickP2C } from './pick.js';
import { Upstream, type UpstreamState } from './upstream.js';
import { pickByVersion, VersionWeights } from './version-weights.js';

/** Creates the connection pool for one replica base URL. */
export type PoolFactory = (url: string) => Dispatcher;
/**
 * Creates the frame pool of one replica: its frame socket's path, or its TCP frame address
 * ("host:port"); absent: replicas are sent HTTP only.
 */
export type FramePoolFactory = (target: string) => FramePool;

/** Count of replicas in each state, for /metrics and stats. */
export type StateCounts = Record<UpstreamState, number>;

export class UpstreamSet {
  /** Current members in the order the controller sent them; never holds removed replicas. */
  private members: Upstream[] = [];
  private readonly scoreFn: (u: Upstream) => number;
  /** Traffic share by model version (a rollout); inactive otherwise. */
  readonly weights = new VersionWeights();

  constructor(
    private readonly clock: Clock,
    private readonly maxInflightPerReplica: number,
    private readonly makePool: PoolFactory,
    private readonly random: () => number = Math.random,
    private readonly makeFrames?: FramePoolFactory,
  ) {
    this.scoreFn = (u) => this.score(u, undefined);
  }

  get list(): readonly Upstream[] {
    return this.members;
  }

  /**
   * Replaces the whole set. Replicas that stay (same id, URL, version and frame socket) keep their
   * pools, in-flight count and ejection state; any other is treated as removed and added. Returns the
   * removed replicas: the caller closes their pools (undici lets in-flight requests finish first).
   */
  replace(endpoints: readonly ReplicaEndpoint[]): Upstream[] {
    const old = new Map(this.members.map((u) => [u.id, u]));
    const next: Upstream[] = [];
    for (const ep of endpoints) {
      const kept = old.get(ep.id);
      if (kept && kept.url === ep.url && kept.version === ep.version && kept.frames?.target === this.framesOf(ep)) {
        kept.ready = ep.ready;
        if (ep.modelDigest !== undefined) kept.modelDigest = ep.modelDigest;
        old.delete(ep.id);
        next.push(kept);
      } else {
        const u = new Upstream(ep.id, ep.url, ep.ready, this.makePool(ep.url), 'replica', ep.version, ep.modelDigest);
        const frames = this.framesOf(ep);
        if (frames !== undefined) u.frames = this.makeFrames!(frames);
        next.push(u);
      }
    }
    const removed = [...old.values()];
    for (const u of removed) u.removed = true;
    this.members = next;
    return removed;
  }

  /** The frame socket or TCP frame address `ep`'s infer requests go to, or undefined (HTTP). */
  private framesOf(ep: ReplicaEndpoint): string | undefined {
    return this.makeFrames === undefined ? undefined : (ep.frameSocket ?? ep.frameAddress);
  }

  /**
   * A replica with a free slot, chosen by P2C on in-flight count. A retry (`exclude` given) skips
   * `exclude` and replicas of `excludeVersion`, and goes to a replica with no failure in a row when
   * one has a free slot: its only try left must not land on a second replica of a host just cut off
   * (its failures come in before it is ejected). A retry scans every replica (retries are rare).
   */
  pick(exclude?: Upstream, excludeVersion?: string): Upstream | undefined {
    if (exclude === undefined) {
      if (this.weights.active)
        return pickByVersion(this.members, this.weights, this.scoreFn, this.random, this.clock.nowMs());
      return pickP2C(this.members, this.scoreFn, this.random);
    }
    const score = (u: Upstream) => {
      if (u.version !== undefined && u.version === excludeVersion) return -1;
      const s = this.score(u, exclude);
      return s < 0 || u.consecutiveFailures === 0 ? s : s + this.maxInflightPerReplica;
    };
    if (this.weights.active) return pickByVersion(this.members, this.weights, score, this.random, this.clock.nowMs());
    return leastScored(this.members, score);
  }

  /** True when some replica other than `exclude` is available (ready, not ejected), busy or not. */
  hasAvailable(exclude?: Upstream): boolean {
    const nowMs = this.clock.nowMs();
    for (const u of this.members) if (u !== exclude && u.isAvailable(nowMs)) return true;
    return false;
  }

  /** True when a replica of a serving version other than `u`'s is available (a rollout: the other version can answer for it). */
  otherVersionAvailable(u: Upstream): boolean {
    const nowMs = this.clock.nowMs();
    return (
      u.version !== undefined &&
      this.members.some(
        (m) =>
          m.version !== undefined && m.version !== u.version && this.weights.serving(m.version) && m.isAvailable(nowMs),
      )
    );
  }

  /** True when some available replica is below its in-flight cap. */
  hasFreeSlot(): boolean {
    const nowMs = this.clock.nowMs();
    for (const u of this.members) if (u.inflight < this.maxInflightPerReplica && u.isAvailable(nowMs)) return true;
    return false;
  }

  /** True when answers of `version` may go to clients: it has weight (or none is set) and a replica in the set. */
  servesVersion(version: string): boolean {
    if (!this.weights.serving(version)) return false;
    return (
      this.members.every((u) => u.version === undefined) || this.members.some((u) => u.version === version && u.ready)
    );
  }

  /**
   * The digest of the model bytes that would answer a request for `version` now: the one every ready
   * replica of it (or of no stated version) shares. Undefined when one of them has not said yet, or
   * they differ (a version rebuilt while some replicas still run the old bytes): the cache then
   * answers nothing itself, since it cannot tell which weights the request would meet.
   */
  weightsOf(version: string): string | undefined {
    let digest: string | undefined;
    for (const u of this.members) {
      if (!u.ready || (u.version !== undefined && u.version !== version)) continue;
      if (u.modelDigest === undefined || (digest !== undefined && digest !== u.modelDigest)) return undefined;
      digest = u.modelDigest;
    }
    return digest;
  }

  counts(): StateCounts {
    const nowMs = this.clock.nowMs();
    const c: StateCounts = { ready: 0, not_ready: 0, ejected: 0 };
    for (const u of this.members) c[u.state(nowMs)]++;
    return c;
  }

  /** Why nothing can be routed to, for a 503. */
  noReplicaMessage(): string {
    const c = this.counts();
    return `no ready replica (${c.ready} ready, ${c.ejected} ejected, ${c.not_ready} not ` + `ready); retry later`;
  }

  /** Earliest time an ejected replica comes back, or undefined when none is ejected. */
  nextReturnMs(): number | undefined {
    const nowMs = this.clock.nowMs();
    let t: number | undefined;
    for (const u of this.members) {
      if (u.ready && u.ejectedUntilMs > nowMs && (t === undefined || u.ejectedUntilMs < t)) t = u.ejectedUntilMs;
    }
    return t;
  }

  private score(u: Upstream, exclude: Upstream | undefined): number {
    if (u === exclude || u.inflight >= this.maxInflightPerReplica || !u.isAvailable(this.clock.nowMs())) return -1;
    return u.inflight;
  }
}
