// A controller that died without stopping (kill -9, a crash, a power cut), as its journal tells it
// (common): when it was last known alive, what became of each child, the rollout it was in the middle
// of; and the removal of what it left that misleads others (Prometheus targets, pid file, admin
// socket, state.json). `serve status` and the next `serve up` report it; the journal itself stays
// until the next `serve up` replaces it, so the story can be told more than once.
import { linkSync } from 'node:fs';
import path from 'node:path';
import { readJournal, type JournalChild, type JournalRollout, type JournalSshHost } from './controller-journal.js';
import { PendingFile } from './atomic-write.js';
import { lstatIfAny, removeEntry } from './no-follow.js';
import { isAlive, readStartTicks } from './process.js';
import { notRunning, ownerAlive, readPidFile, type StatePaths } from './state-layout.js';
import { UnreachableError } from './errors.js';

/** What became of one child of the dead controller, looked at just now. */
export interface DeadControllerChild extends JournalChild {
  /** unknown: it runs on an SSH host, not asked (yet) or not reached (`unknownWhy`). */
  state: 'running' | 'exited' | 'unknown';
  /** Why its state is not known: its host could not be reached, the journal cannot reach it. */
  unknownWhy?: string;
}

export interface ControllerDeath {
  pid: number;
  /** The profile it ran (a schedule's name, when it ran one). */
  profile: string;
  startedAt: string;
  /** ISO 8601: its last heartbeat (it died within a second or so after). */
  lastAliveAt: string;
  children: DeadControllerChild[];
  /** The rollout it was in the middle of, as far as it got. */
  rollout?: JournalRollout;
  /** How to reach its SSH hosts again (journal.sshHosts; absent from an older serve's journal). */
  sshHosts?: Record<string, JournalSshHost>;
  /** Files it left that this look removed, by name (none when they were already gone). */
  removed: string[];
}

/**
 * The death of the controller whose journal is in `paths`, or undefined when there is no journal or
 * its controller still lives. With `clean`, also removes the files it left (see clearDeadOwner).
 */
export function controllerDeath(paths: StatePaths, clean: boolean): ControllerDeath | undefined {
  const found = readJournal(paths);
  if (!found) return undefined;
  const j = found.journal;
  if (ownerAlive({ pid: j.pid, startTicks: j.startTicks, text: '' })) return undefined;
  const children = j.children.map((c) => ({ ...c, state: childState(c) }));
  return {
    pid: j.pid,
    profile: j.profile,
    startedAt: j.startedAt,
    lastAliveAt: new Date(found.touchedAtMs).toISOString(),
    children,
    ...(j.rollout ? { rollout: j.rollout } : {}),
    ...(j.sshHosts && typeof j.sshHosts === 'object' ? { sshHosts: j.sshHosts } : {}),
    // Children that still serve keep their Prometheus targets: they are scraped while they run.
    removed: clean
      ? clearDeadOwner(
          paths,
          children.some((c) => c.state === 'running'),
        )
      : [],
  };
}

/** "No cluster is running" (exit 3) for every command that needs one, saying so when its controller died. */
export function notRunningHere(paths: StatePaths): UnreachableError {
  const d = controllerDeath(paths, false);
  if (!d) return notRunning(paths);
  return new UnreachableError(
    `no cluster is running in ${paths.dir}: ${deathLine(d)}; \`serve status ` +
      `--state-dir ${paths.dir}\` says what became of its processes` +
      `${d.rollout ? ' and its rollout' : ''}`,
  );
}

function childState(c: JournalChild): DeadControllerChild['state'] {
  if (c.host !== undefined) return 'unknown';
  if (!isAlive(c.pid)) return 'exited';
  // A later process that got its pid is not our child.
  return c.startTicks === undefined || readStartTicks(c.pid) === c.startTicks ? 'running' : 'exited';
}

/**
 * Removes the Prometheus targets (unless `keepTargets`: its children still serve), admin socket,
 * state.json and pid file a dead owner left, and returns their names. Only while its pid file is there and names a dead process, and only under the pid
 * file's lock (as `serve up` takes it, claimStateDir), so a cluster that is starting is never touched;
 * when the lock is taken it leaves everything to whoever holds it.
 */
export function clearDeadOwner(paths: StatePaths, keepTargets = false): string[] {
  const rec = readPidFile(paths);
  if (!rec || ownerAlive(rec)) return [];
  const lockFile = `${paths.pidFile}.lock`;
  let pending: PendingFile | undefined;
  try {
    pending = PendingFile.open(paths.pidFile, { mode: 0o600 });
    pending.write(`${process.pid}\n`);
    pending.finish();
    linkSync(pending.temp, lockFile);
  } catch {
    pending?.discard();
    return [];
  }
  try {
    if (readPidFile(paths)?.text !== rec.text) return [];
    const removed: string[] = [];
    // The targets first: Prometheus stops scraping processes that nobody supervises.
    const files = [paths.sdFile, paths.adminSocket, paths.stateFile, paths.pidFile];
    for (const f of keepTargets ? files.slice(1) : files) {
      if (!lstatIfAny(f)) continue;
      removeEntry(f);
      removed.push(path.basename(f));
    }
    return removed;
  } finally {
    removeEntry(lockFile);
    pending.discard();
  }
}

/** "the controller (pid 4242) died without stopping; last known alive 12:30:05 UTC (started 12:01:00 UTC)" */
export function deathLine(d: ControllerDeath): string {
  return (
    `the controller (pid ${d.pid}, profile ${d.profile}) died without stopping; ` +
    `last known alive ${clock(d.lastAliveAt)} UTC (started ${clock(d.startedAt)} UTC)`
  );
}

/** "rolling cnn-lstm out from version 1 to 2: step 1 of 2, 50% of traffic on version 2" */
export function interruptedRolloutLine(r: JournalRollout): string {
  const where =
    r.step === 0
      ? 'the new replicas were starting, no traffic on version ' + r.toVersion
      : `step ${r.step} of ${r.steps}, ${r.percent}% of traffic on version ` + `${r.toVersion}`;
  return `rolling ${r.model} out from version ${r.fromVersion} to ${r.toVersion} (` + `${r.phase}): ${where}`;
}

/** "gateway pid 10: still running", "replica-2 pid 12: exited", "replica-3 pid 40 on gpu-a: not known (why)" */
export function childLine(c: DeadControllerChild): string {
  const state =
    c.state === 'running'
      ? 'still running'
      : c.state === 'exited'
        ? 'exited'
        : `not known (${c.unknownWhy ?? 'not asked over SSH'})`;
  return `${c.id} pid ${c.pid}${c.host ? ` on ${c.host}` : ''}: ${state}`;
}

function clock(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
