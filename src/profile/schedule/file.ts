// Parses a schedule file (control plane, pure): the same YAML reader and tree walker as a profile,
// so every problem is reported at once with file:line:col, then the schedule's own rules. The
// profiles it names are found and checked by schedule-load.ts.
import path from 'node:path';
import { ProfileError, type ProfileProblem } from '../problems.js';
import { displayName } from '../display-name.js';
import { readYaml } from '../parse.js';
import { hideEnvValues } from '../redact.js';
import { parseTimeOfDay, type ProfileSchedule } from './schedule.js';
import { scheduleTree, type ScheduleYaml } from './tree.js';
import { duplicateDates, shadowedWindows } from './warnings.js';
import { walkProfile, type Pos, type Walked } from '../walk.js';
import { nestWalked } from '../walk-context.js';
import type { Weekday } from './zoned-time.js';
import { isMap, type Document } from 'yaml';

/** A schedule file's content before the profiles it names are loaded. */
export interface ScheduleSpec {
  name: string;
  /** Absolute path of the file. */
  sourcePath: string;
  schedule: ProfileSchedule;
  /** Every profile name the file uses, where (the default first, then each window's). */
  refs: Array<{ name: string; path: string; at: Pos }>;
}

/** True when a parsed YAML document is a schedule (it has a top-level `schedule:` key). */
export function isScheduleDocument(doc: Document): boolean {
  return (
    isMap(doc.contents) && doc.contents.items.some((p) => (p.key as { value?: unknown } | null)?.value === 'schedule')
  );
}

/** True when `text` looks like a schedule file; a text that does not parse is not one (the profile parser reports it). */
export function isScheduleText(text: string): boolean {
  try {
    return isScheduleDocument(readYaml(text, '').doc);
  } catch {
    return false;
  }
}

/**
 * Parses and validates a schedule file's own content: every problem at once as a ProfileError
 * (exit code 2), each `file:line:col field: ...`. `file` is shown as given relative to `cwd`.
 */
export function parseScheduleFile(
  text: string,
  sourcePath: string,
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): ScheduleSpec {
  const r = checkScheduleFile(text, sourcePath, env, cwd);
  if (r.problems.length > 0) throw new ProfileError(r.file, r.problems);
  return r.spec;
}

/**
 * The schedule file's problems and what it says; `spec.refs` holds every profile name that was
 * written validly even when other fields have problems, so the profiles it names can be checked in
 * the same pass (the rest of `spec` is only meaningful without problems).
 */
export function checkScheduleFile(
  text: string,
  sourcePath: string,
  env: Record<string, string | undefined>,
  cwd: string,
): { file: string; problems: ProfileProblem[]; warnings: ProfileProblem[]; spec: ScheduleSpec } {
  const absolute = path.resolve(cwd, sourcePath);
  const file = displayName(absolute, cwd) || '<schedule>';
  const { doc, lines } = readYaml(text, file);
  const walked = walkProfile(
    {
      doc,
      lines,
      text,
      file,
      env: { ...env, PROFILE_DIR: path.dirname(absolute) },
      publicVars: new Set(['PROFILE_DIR']),
    },
    scheduleTree,
  );
  const problems = hideEnvValues([...walked.problems, ...scheduleRules(walked, file)], walked, scheduleTree);
  const y = nestWalked(walked.values) as unknown as Partial<ScheduleYaml>;
  const s = (y.schedule ?? {}) as Partial<ScheduleYaml['schedule']>;
  const windows = (s.windows ?? []).map((w) => ({
    profile: w?.profile,
    days: (w?.days ?? []) as Weekday[],
    from: w?.from,
    to: w?.to,
    prewarmMs: w?.prewarm,
  }));
  const refs: ScheduleSpec['refs'] = [];
  if (typeof s.default === 'string')
    refs.push({ name: s.default, path: 'schedule.default', at: walked.positions.get('schedule.default')! });
  windows.forEach((w, i) => {
    if (typeof w.profile === 'string')
      refs.push({
        name: w.profile,
        path: `schedule.windows[${i}].profile`,
        at: walked.positions.get(`schedule.windows[${i}].profile`)!,
      });
  });
  const spec: ScheduleSpec = {
    name: y.name ?? path.basename(absolute, path.extname(absolute)),
    sourcePath: absolute,
    schedule: {
      timezone: s.timezone ?? 'UTC',
      default: s.default ?? '',
      windows: windows as ScheduleSpec['schedule']['windows'],
      closedDates: [...((s.closed_dates ?? []) as string[])].sort(),
      earlyClose: { ...((s.early_close ?? {}) as Record<string, string>) },
    },
    refs,
  };
  return {
    file,
    problems,
    warnings: problems.length > 0 ? [] : scheduleWarnings(walked, file, spec.schedule.windows),
    spec,
  };
}

/**
 * Legal but surely unmeant (the schedule still loads): a window that earlier windows cover on every
 * day it runs, and a closed date listed twice. Located like problems; printed as warnings.
 */
function scheduleWarnings(w: Walked, file: string, windows: ScheduleSpec['schedule']['windows']): ProfileProblem[] {
  const out: ProfileProblem[] = [];
  const at = (p: string) => w.positions.get(p) ?? { line: 1, col: 1 };
  for (const { window, by } of shadowedWindows(windows)) {
    const p = `schedule.windows[${window}]`;
    const earlier = by
      .map((i) => `windows[${i}] (${windows[i]!.profile}, line ` + `${at(`schedule.windows[${i}]`).line})`)
      .join(' and ');
    out.push({
      file,
      ...at(p),
      path: p,
      message:
        `never applies: ${earlier} ${by.length === 1 ? 'covers' : 'cover'} all of its ` +
        `hours, and the first window containing a time wins; remove it, or move it above ` +
        `to make it win`,
    });
  }
  const dates = [...w.values].filter(([k]) => /^schedule\.closed_dates\[\d+\]$/.test(k)).map(([, v]) => String(v));
  for (const { index, first } of duplicateDates(dates)) {
    const p = `schedule.closed_dates[${index}]`;
    out.push({
      file,
      ...at(p),
      path: p,
      message:
        `${dates[index]} is listed twice (also closed_dates[${first}], line ` +
        `${at(`schedule.closed_dates[${first}]`).line}): remove one`,
    });
  }
  return out;
}

/** Rules between fields of one schedule: a window has a length; an early close is not a closed date. */
function scheduleRules(w: Walked, file: string): ProfileProblem[] {
  const out: ProfileProblem[] = [];
  const report = (p: string, message: string) => {
    const at = w.positions.get(p) ?? { line: 1, col: 1 };
    out.push({ file, line: at.line, col: at.col, path: p, message });
  };
  for (const [k, from] of w.values) {
    const m = /^schedule\.windows\[(\d+)\]\.from$/.exec(k);
    const to = m ? (w.values.get(`schedule.windows[${m[1]}].to`) as string | undefined) : undefined;
    if (to !== undefined && parseTimeOfDay(from as string) === parseTimeOfDay(to)) {
      report(
        `schedule.windows[${m![1]}].to`,
        `got "${to}", the same time as from ("${from as string}"): a window needs some ` +
          `length (for all day write from "00:00" to "24:00")`,
      );
    }
  }
  const closed = new Set<string>();
  for (const [k, v] of w.values) if (/^schedule\.closed_dates\[\d+\]$/.test(k)) closed.add(v as string);
  for (const [k] of w.values) {
    const m = /^schedule\.early_close\.(.+)$/.exec(k);
    if (m && closed.has(m[1]!))
      report(k, `${m[1]} is also a closed date, where no window opens at all: remove one of them`);
  }
  return out;
}
