// What the gateway reads from a request's headers to order and judge it (gateway, data plane): its
// priority (the replica applies the same rule) and its budget (common/wire.ts's one rule).
import type { IncomingHttpHeaders } from 'node:http';
import { PRIORITY_HEADER, TIMEOUT_HEADER, parseTimeoutHeader } from '../common/wire.js';
import { cannotMeet } from './service-time.js';

/** x-serve-priority: an integer 0 (default, lowest) to 9; NaN for anything else (answered 400). */
export function parsePriority(header: string | string[] | undefined): number {
  if (header === undefined) return 0;
  if (typeof header !== 'string') return NaN;
  const t = header.trim();
  return t.length === 1 && t >= '0' && t <= '9' ? t.charCodeAt(0) - 48 : NaN;
}

export const PRIORITY_MESSAGE = `header ${PRIORITY_HEADER} must be an integer from 0 to 9`;

/** What the head of a request says: its budget and priority, or the answer it gets at once. */
export type HeadVerdict = { budgetMs: number; priority: number } | { status: 400 | 504; message: string };

/**
 * Reads the budget and priority (a malformed one is the client's to fix: 400 before any 503), and
 * answers 504 when the budget is shorter than a replica's no-wait service time `floorMs` (0:
 * unknown): no retry helps, so nothing is sent. Load never makes a 504 here (that is a 503).
 */
export function readHead(headers: IncomingHttpHeaders, defaultBudgetMs: number, floorMs: number): HeadVerdict {
  const budgetMs = parseTimeoutHeader(headers[TIMEOUT_HEADER], defaultBudgetMs);
  if (Number.isNaN(budgetMs))
    return { status: 400, message: `header ${TIMEOUT_HEADER} must be a positive number of milliseconds` };
  const priority = parsePriority(headers[PRIORITY_HEADER]);
  if (Number.isNaN(priority)) return { status: 400, message: PRIORITY_MESSAGE };
  if (cannotMeet(budgetMs, floorMs)) {
    return {
      status: 504,
      message:
        `the deadline of ${budgetMs} ms is shorter than a replica needs to answer ` +
        `(about ${floorMs.toFixed(1)} ms with nothing ahead); the request was not sent: ` +
        `allow more time`,
    };
  }
  return { budgetMs, priority };
}
