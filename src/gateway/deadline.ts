// Request deadlines at the gateway (gateway, data plane): the budget passed on to a replica, and
// when an unanswered attempt is judged hung (the incoming header's rule is common/wire.ts).

/**
 * Budget handed to a replica, in whole milliseconds: what is left minus a small margin for the
 * way back, so a healthy replica answers its own 504 before the gateway gives up on it (and the
 * gateway's timeout then really means "no answer at all"). At least 1.
 */
export function forwardBudgetMs(remainingMs: number, marginMs: number): number {
  return Math.max(1, Math.floor(remainingMs - marginMs));
}

/**
 * A replica that got less than this budget and did not answer in time is not judged for it: the
 * client asked for too little time (or it went in the gateway's queue), which says nothing about
 * the replica's health. Without this, clients sending tiny deadlines could eject healthy replicas.
 */
export const MIN_JUDGED_BUDGET_MS = 50;

/** How long past its forwarded budget an unanswered attempt is kept open before it is judged (ms). */
export const JUDGE_GRACE_MS = 250;
/** An attempt is never judged hung sooner than this after it was written to its replica (ms). */
export const MIN_HANG_MS = 1000;

/**
 * Clock time at which an attempt written to its replica at `sentMs` and still unanswered is judged.
 * Its client got its answer at the deadline already; keeping the attempt open a little longer tells
 * a replica that is merely slow (it answers late) from one that is hung (it answers nothing).
 */
export function judgeAtMs(sentMs: number, forwardedBudgetMs: number): number {
  return sentMs + Math.max(forwardedBudgetMs + JUDGE_GRACE_MS, MIN_HANG_MS);
}

/**
 * Whether an attempt still unanswered when judged counts as a failure of its replica. Only when the
 * replica had a fair budget and completed nothing at all since the attempt was written to it: a
 * busy replica keeps answering other requests (its slowness is our overload, not its fault); a hung
 * or stopped one answers nothing.
 */
export function isHung(forwardedBudgetMs: number, completedAtSend: number, completedNow: number): boolean {
  return forwardedBudgetMs >= MIN_JUDGED_BUDGET_MS && completedNow === completedAtSend;
}
