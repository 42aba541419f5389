// Request deadlines at the gateway (gateway, data plane): reads the incoming budget header and
// computes the budget passed on to a replica.

/** Upper bound on a budget a client may ask for (10 minutes), so a typo cannot pin a slot forever. */
export const MAX_BUDGET_MS = 600_000;

/**
 * The request's time budget in milliseconds: the TIMEOUT_HEADER value when present, else
 * `defaultMs`. Returns NaN when the header is present but not a positive number (a 400).
 */
export function budgetMs(header: string | string[] | undefined, defaultMs: number): number {
  if (header === undefined) return defaultMs;
  const text = Array.isArray(header) ? header[0] : header;
  // Plain decimal milliseconds only: Number() would also take "0x20", "1e3" or "1e-300".
  if (text === undefined || !/^\s*\d{1,9}(\.\d{1,6})?\s*$/.test(text)) return NaN;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms <= 0) return NaN;
  return Math.min(ms, MAX_BUDGET_MS);
}

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
