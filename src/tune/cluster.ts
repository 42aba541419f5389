// The cluster `serve tune` measures (tune): one it starts itself (`serve up` in the background on a
// temporary state directory, stopped and removed at the end) or a running one (--attach, handed back
// unpinned with its profile's settings). Candidates are applied through the admin API: batching
// live, threads by a rolling replacement, the replica count by a pinned scale (which also keeps the
// autoscaler from acting while candidates are measured).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AdminClient } from '../client/admin-client.js';
import { untilCluster } from '../client/cluster-changes.js';
import { readClusterState } from '../client/cluster-state.js';
import { DetachedCluster } from '../client/detached-cluster.js';
import type { ClusterStatus } from '../common/cluster-status.js';
import { UnreachableError, errorMessage } from '../common/errors.js';
import { statePaths } from '../common/state-layout.js';
import type { Profile } from '../profile/types.js';
import { tuningProfileText } from './profile-writer.js';
import { CandidateSkipped } from './search-throughput.js';
import type { TuneConfig } from './types.js';

/** A cluster candidates are applied to. */
export interface TuneCluster {
  readonly gatewayUrl: string;
  readonly stateDir: string;
  /** Puts `c` in force and resolves once its replicas are all ready; CandidateSkipped when they cannot be. */
  apply(c: TuneConfig): Promise<void>;
  /** Stops the cluster tune started (and removes its folder), or hands an attached one back. */
  close(): Promise<void>;
  /** A second Ctrl-C: kills the cluster tune started at once (its replicas exit with it). */
  kill(): void;
}

const ADMIN_TIMEOUT_MS = 10_000;
/** A roll replaces every replica one at a time: give it long. */
const RECONFIGURE_TIMEOUT_MS = 300_000;

/** Applies configurations through the admin API of the cluster in `stateDir`. */
class AdminSession {
  private readonly admin: AdminClient;
  private readonly slowAdmin: AdminClient;
  current: TuneConfig | undefined;

  constructor(
    readonly stateDir: string,
    readonly gatewayUrl: string,
    private readonly readyTimeoutMs: number,
  ) {
    this.admin = new AdminClient(stateDir, ADMIN_TIMEOUT_MS);
    this.slowAdmin = new AdminClient(stateDir, RECONFIGURE_TIMEOUT_MS);
  }

  async apply(c: TuneConfig): Promise<void> {
    const cur = this.current;
    const threads = cur?.threads !== c.threads;
    if (threads || cur.maxBatchSize !== c.maxBatchSize || cur.batchWaitMs !== c.batchWaitMs) {
      const r = await this.slowAdmin.reconfigure({
        maxBatchSize: c.maxBatchSize,
        batchWaitMs: c.batchWaitMs,
        ...(threads ? { threads: c.threads } : {}),
      });
      const bad = r.replicas.filter((x) => !x.ok);
      if (bad.length > 0)
        throw new CandidateSkipped(
          `the replicas did not take the batching (` + `${bad.map((b) => `${b.id}: ${b.error}`).join('; ')})`,
        );
    }
    this.current = undefined;
    if (cur?.replicas !== c.replicas) await this.admin.scale(c.replicas, true);
    await this.waitReady(c.replicas);
    this.current = c;
  }

  /** Resolves once `n` replicas are ready and none is on its way; CandidateSkipped when some cannot start. */
  private async waitReady(n: number): Promise<void> {
    let s: ClusterStatus | undefined;
    // Asked again at each change the controller makes (a replica ready, failed, stopped: cluster-changes.ts).
    const ready = await untilCluster(
      this.admin.paths,
      async () => {
        s = await this.admin.status();
        const live = s.replicas.filter((r) => !['draining', 'stopped'].includes(r.state));
        const stuck = live.filter((r) => r.state === 'pending' || r.state === 'failed');
        if (stuck.length > 0)
          throw new CandidateSkipped(
            `${n} replicas could not all start (` +
              `${stuck.map((r) => `${r.id} ${r.state}${r.reason ? `: ${r.reason}` : ''}`).join('; ')})`,
          );
        return live.length === n && live.every((r) => r.state === 'ready') ? true : undefined;
      },
      { timeoutMs: this.readyTimeoutMs },
    );
    if (ready) return;
    throw new CandidateSkipped(
      `${n} replicas were not all ready within ` +
        `${Math.round(this.readyTimeoutMs / 1000)}s (` +
        `${(s?.replicas ?? []).map((r) => `${r.id} ${r.state}`).join(', ')})`,
    );
  }

  /** Unpins the count and puts `profile`'s batching and threads back (an attached cluster). */
  async handBack(profile: Profile): Promise<void> {
    await this.admin.request('POST', '/scale', { auto: true });
    const cur = this.current;
    const b = profile.batching;
    if (
      cur &&
      (cur.maxBatchSize !== b.maxBatchSize ||
        cur.batchWaitMs !== b.batchWaitMs ||
        cur.threads !== profile.runtime.threads)
    ) {
      await this.slowAdmin.reconfigure({
        maxBatchSize: b.maxBatchSize,
        batchWaitMs: b.batchWaitMs,
        threads: profile.runtime.threads,
      });
    }
  }
}

/** Uses the cluster running `profile` in `stateDir`; at the end it is unpinned and gets the profile's settings back. */
export async function attachCluster(stateDir: string, profile: Profile): Promise<TuneCluster> {
  const state = readClusterState(stateDir, profile.name);
  const session = new AdminSession(stateDir, state.gatewayUrl, profile.health.startupTimeoutMs + 10_000);
  await new AdminClient(stateDir, ADMIN_TIMEOUT_MS).status();
  return {
    gatewayUrl: state.gatewayUrl,
    stateDir,
    apply: (c) => session.apply(c),
    close: () => session.handBack(profile),
    kill: () => undefined,
  };
}

export interface OwnClusterOptions {
  /** The profile file's text and the profile it describes. */
  text: string;
  profile: Profile;
  first: TuneConfig;
  maxReplicas: number;
  /** The compiled CLI to run `serve up` with. */
  cliEntry: string;
  signal?: AbortSignal;
}

/** Starts `serve up` in the background on a temporary state directory with `first` in force; resolves once it is running. */
export async function startOwnCluster(o: OwnClusterOptions): Promise<TuneCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-tune-'));
  const profileFile = path.join(dir, 'profile.yaml');
  await writeFile(profileFile, tuningProfileText(o.text, o.first, o.maxReplicas, profileFile));
  const paths = statePaths(path.join(dir, 'state'));
  const child = DetachedCluster.start(
    o.cliEntry,
    [
      'up',
      '--profile',
      profileFile,
      '--state-dir',
      paths.dir,
      '--detached-child',
      '--oversubscribe',
      '--registry',
      o.profile.model.registry,
    ],
    paths,
  );
  const kill = () => child.kill();
  const close = async () => {
    // Drain through the admin API; one that does not answer yet (still starting) gets SIGTERM, which drains too.
    const graceMs = o.profile.drainTimeoutMs + 15_000;
    await child
      .stop({ requestTimeoutMs: ADMIN_TIMEOUT_MS, timeoutMs: ADMIN_TIMEOUT_MS + graceMs, termGraceMs: graceMs })
      .catch(kill);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const status = await child.waitRunning({
      timeoutMs: o.profile.health.startupTimeoutMs + 30_000,
      signal: o.signal,
    });
    if (!status) {
      const lines = child.output().filter((l) => l.startsWith('serve: ') || l.startsWith('  '));
      throw new UnreachableError(
        o.signal?.aborted
          ? 'interrupted while the cluster started'
          : `the cluster for tuning did not start` +
              `${lines.length > 0 ? `: ${lines.join(' ').replace(/^serve: (internal )?error: /, '')}` : ` (see ${child.outputLog})`}`,
      );
    }
    const own = new AdminSession(paths.dir, status.gatewayUrl, o.profile.health.startupTimeoutMs + 10_000);
    own.current = o.first;
    return { gatewayUrl: status.gatewayUrl, stateDir: paths.dir, apply: (c) => own.apply(c), close, kill };
  } catch (err) {
    await close().catch((e: unknown) =>
      process.stderr.write(`serve: warning: stopping the tuning cluster failed: ${errorMessage(e)}\n`),
    );
    throw err;
  }
}
