// What an export is made of (export plane, pure data): the target, the files to write under --out
// and the warnings for everything of the profile that does not carry over to the target.
import type { ResolvedModel } from '../model/registry.js';
import type { LoadedSchedule } from '../profile/schedule/load.js';
import type { Profile } from '../profile/types.js';

/** The engines a profile can be exported to. */
export const EXPORT_TARGETS = ['triton', 'kserve', 'ray'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** One file to write, relative to --out: generated text, or a copy of a registry file. */
export type ExportFile =
  { path: string; what: string; text: string } | { path: string; what: string; copyFrom: string };

/** Something of the profile (or of serve's behaviour) that the target cannot hold, and why. */
export interface ExportWarning {
  /** The profile field(s) as written in YAML ("autoscaling.latency_guard"), or what else it concerns. */
  field: string;
  message: string;
}

/** What an export writes and what it could not carry over (the plan; writing it is export/write.ts). */
export interface ExportPlan {
  target: ExportTarget;
  files: ExportFile[];
  warnings: ExportWarning[];
}

/** What an exporter reads: one profile, or a schedule with its profiles, and the resolved model. */
export interface ExportSource {
  /** The profile or schedule name given to --profile, for file headers. */
  ref: string;
  /** A single profile, or the schedule's profiles by name. */
  profile?: Profile;
  schedule?: LoadedSchedule;
  model: ResolvedModel;
  /** KServe's storageUri (the Triton model repository uploaded somewhere the cluster reads). */
  storageUri?: string;
  /** serve's version, written into file headers. */
  serveVersion: string;
}
