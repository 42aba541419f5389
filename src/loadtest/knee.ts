// Knee of a rate ramp (loadtest, pure): the highest requested rate whose step met every target,
// counting only the steps before the first failure (a later lucky step is not capacity).
import type { RunResult, StepResult } from './types.js';

/** The knee of `steps` (in ramp order), or null when even the first step failed. */
export function findKnee(steps: readonly StepResult[]): RunResult['knee'] {
  let knee: StepResult | undefined;
  for (const s of steps) {
    if (!s.passed) break;
    knee = s;
  }
  return knee ? { ratePerSec: knee.requestedPerSec, achievedPerSec: knee.achievedPerSec } : null;
}

/** Index of the step to report as the run's result: the knee, else the first step. */
export function reportedStepIndex(steps: readonly StepResult[]): number {
  let index = 0;
  for (let i = 0; i < steps.length; i++) {
    if (!steps[i]!.passed) break;
    index = i;
  }
  return index;
}
