// Public face of profile/ (control plane): load, parse, defaults, schema and schedule.
export type { Profile, Device } from './types.js';
export {
  loadProfile,
  listProfiles,
  resolveProfileRef,
  shippedProfilesDir,
  packageRoot,
  type LoadOptions,
  type ProfileEntry,
} from './load.js';
export { parseProfile } from './parse.js';
export { defaultProfile, type DeepPartial } from './defaults.js';
export { ProfileError, formatProblem, type ProfileProblem } from './problems.js';
export { profileJsonSchema, profileJsonSchemaText } from './json-schema.js';
export { renderFieldTable } from './fields/field-table.js';
export {
  activeProfile,
  nextChange,
  checkSchedule,
  localTime,
  marketHoursSchedule,
  type ProfileSchedule,
  type ScheduleWindow,
  type Weekday,
} from './schedule/schedule.js';
