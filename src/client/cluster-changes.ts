// Waiting on a cluster from outside (client): a check asked at once and again after each change the
// controller makes in its state directory (its files, controller.log, up.log), seen through fs.watch,
// never on a sleep loop. The check is the truth (the admin API); a change only says when to ask.
import { watch, type FSWatcher } from 'node:fs';
import { JOURNAL_HEARTBEAT_MS } from '../common/controller-journal.js';
import type { StatePaths } from '../common/state-layout.js';

/**
 * A live controller touches controller.json every JOURNAL_HEARTBEAT_MS, so a state directory with no
 * change for this long holds a controller that is dead, stuck or not started yet (or the OS refused
 * the watch): the check is asked then too, and says which. This is the only timer here.
 */
export const QUIET_MS = 3 * JOURNAL_HEARTBEAT_MS;

/** The files of <state-dir>/logs/ whose lines say the controller moved on (not the replicas' chatter). */
const CONTROLLER_LOGS = new Set(['controller.log', 'up.log']);

export interface UntilOptions {
  /** Give up (resolve undefined) after this long; no limit when absent. */
  timeoutMs?: number;
  /** Give up (resolve undefined) when it aborts. */
  signal?: AbortSignal;
  /** Give up (resolve undefined) when this settles: a controller we started that exited. */
  until?: Promise<unknown>;
  /** Ask anyway after this long without a change (default QUIET_MS). */
  quietMs?: number;
}

/**
 * Resolves with the first answer of `check` that is not undefined, or undefined when `o` gives up; a
 * check that throws rejects it. Checks never overlap: changes during one ask for one more after it.
 */
export function untilCluster<T>(
  paths: StatePaths,
  check: () => Promise<T | undefined>,
  o: UntilOptions = {},
): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const watchers: FSWatcher[] = [];
    let settled = false;
    let asking = false;
    let again = false;
    let quiet: NodeJS.Timeout | undefined;
    let limit: NodeJS.Timeout | undefined;
    const finish = (outcome: { value: T | undefined } | { err: unknown }) => {
      if (settled) return;
      settled = true;
      for (const w of watchers) w.close();
      clearTimeout(quiet);
      clearTimeout(limit);
      o.signal?.removeEventListener('abort', giveUp);
      if ('err' in outcome) reject(outcome.err as Error);
      else resolve(outcome.value);
    };
    const giveUp = () => finish({ value: undefined });
    const ask = () => {
      if (settled) return;
      if (asking) {
        again = true;
        return;
      }
      asking = true;
      again = false;
      clearTimeout(quiet);
      check().then(
        (v) => {
          asking = false;
          if (v !== undefined) return finish({ value: v });
          if (again) return ask();
          if (!settled) quiet = setTimeout(ask, o.quietMs ?? QUIET_MS);
        },
        (err: unknown) => finish({ err }),
      );
    };
    const onChange = (dir: 'state' | 'logs') => (_event: string, name: string | Buffer | null) => {
      // A log other than the controller's own changes with every replica line: not a reason to ask.
      if (dir === 'logs' && name !== null && !CONTROLLER_LOGS.has(name.toString())) return;
      ask();
    };
    for (const [dir, which] of [
      [paths.dir, 'state'],
      [paths.logsDir, 'logs'],
    ] as const) {
      try {
        const w = watch(dir, onChange(which));
        // A watched folder removed (the controller released it) or a watch the OS drops: QUIET_MS still asks.
        w.on('error', () => w.close());
        watchers.push(w);
      } catch {
        // No such folder yet, or no inotify watch left: the quiet timer asks instead.
      }
    }
    if (o.timeoutMs !== undefined) limit = setTimeout(giveUp, Math.max(0, o.timeoutMs));
    if (o.signal?.aborted) return giveUp();
    o.signal?.addEventListener('abort', giveUp, { once: true });
    void o.until?.then(giveUp, giveUp);
    ask();
  });
}
