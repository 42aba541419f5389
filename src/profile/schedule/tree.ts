// The YAML shape of a schedule profile (control plane): which profile is active when. Walked with
// the same machinery as a profile (every problem at once, file:line:col); its README table and the
// typed values come from this tree.
import {
  calendarDate,
  duration,
  identifier,
  list,
  mapOf,
  oneOf,
  section,
  timeOfDay,
  timeZone,
  type ValueOf,
} from '../fields/fields.js';
import { weekdays } from './zoned-time.js';

const window = section('One weekly window.', {
  profile: identifier({
    what: 'a profile name such as "market-hours"',
    doc:
      'Profile active inside the window (found as --profile finds it: next to this ' +
      'file, then ./profiles, then shipped).',
    required: true,
  }),
  days: list(
    'Days the window opens on: mon, tue, wed, thu, fri, sat, sun.',
    oneOf(weekdays as [string, ...string[]], { doc: 'A day of the week.' }),
    { minItems: 1 },
  ),
  from: timeOfDay({ doc: 'Local time the window opens, "HH:MM" or "HH:MM:SS".', required: true }),
  to: timeOfDay({
    doc: 'Local time it closes (exclusive); at or before `from`, it closes the next day; ' + '"24:00" is midnight.',
    required: true,
  }),
  prewarm: duration({
    maxMs: 86_400_000,
    doc:
      "Replicas of the window's profile are started this long before it opens, so they " + 'are ready at the switch.',
    default: '0s',
  }),
});

/** The root of a schedule file; a file with a top-level `schedule:` key is one. */
export const scheduleTree = section('A schedule profile: which profile is active when.', {
  name: identifier({
    what: 'a schedule name',
    doc: 'Schedule name shown by `serve status`.',
    defaultText: 'file name without .yaml',
  }),
  schedule: section('When each profile is active.', {
    timezone: timeZone({
      doc: 'IANA time zone the windows are written in (daylight saving included).',
      required: true,
    }),
    default: identifier({
      what: 'a profile name such as "off-hours"',
      doc: 'Profile active outside every window, on closed dates, and after an early close.',
      required: true,
    }),
    windows: list('Weekly windows, checked in order: where two overlap, the first wins.', window, { minItems: 1 }),
    closed_dates: list(
      'Local dates on which no window opens (holidays): the default profile all day.',
      calendarDate({ doc: 'A closed date.' }),
    ),
    early_close: mapOf(
      'Local date → time: windows opening that day close at this time at the latest.',
      calendarDate({ doc: '' }),
      timeOfDay({ doc: '' }),
    ),
  }),
});

/** A schedule file's values, typed by the tree. */
export type ScheduleYaml = ValueOf<typeof scheduleTree>;
