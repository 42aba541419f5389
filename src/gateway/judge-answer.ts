// What an upstream's answer status means to the gateway (gateway, data plane), decided in one pure
// place: retried elsewhere or passed on, counted towards ejecting the upstream or as a sign of health,
// and whether it may teach the service time and be kept in the response cache.
import type { Upstream } from './upstream.js';

/** Which upstream answered: its kind, and its model version when the controller named one (a rollout). */
export type AnswerFrom = Pick<Upstream, 'kind' | 'version'>;

export interface AnswerVerdict {
  /** A 1xx: informational, the real answer follows; nothing else here applies. */
  readonly interim: boolean;
  /**
   * Tried once more elsewhere when something else can take it (attempts.ts asks): 'shed' for a 503
   * or another server's 5xx (it never fails a request our replicas can serve), 'version' for a
   * replica's own 5xx while it serves a named model version (a rollout's bad version); undefined:
   * the answer is passed on as it is.
   */
  readonly retry: 'shed' | 'version' | undefined;
  /**
   * What it says of the upstream: 'fault' counts towards ejecting it (a 5xx of its own), 'healthy'
   * resets its failures (it answered, 504 included: its budget ran out, it did not fail), 'busy'
   * neither (a 503: load, never a fault).
   */
  readonly health: 'fault' | 'healthy' | 'busy';
  /** A 200: its Server-Timing may teach the service time (infer requests). */
  readonly timed: boolean;
  /** A 200 of one of our replicas: it may be kept in the response cache (another server's answer is not ours). */
  readonly cacheable: boolean;
}

// One frozen object per class: judging allocates nothing on the request path.
const verdict = (v: AnswerVerdict): AnswerVerdict => Object.freeze(v);
const INTERIM = verdict({ interim: true, retry: undefined, health: 'healthy', timed: false, cacheable: false });
const OK_OURS = verdict({ interim: false, retry: undefined, health: 'healthy', timed: true, cacheable: true });
const OK_OTHER = verdict({ interim: false, retry: undefined, health: 'healthy', timed: true, cacheable: false });
const PASSED = verdict({ interim: false, retry: undefined, health: 'healthy', timed: false, cacheable: false });
const SHED = verdict({ interim: false, retry: 'shed', health: 'busy', timed: false, cacheable: false });
const FAULT = verdict({ interim: false, retry: undefined, health: 'fault', timed: false, cacheable: false });
const FAULT_ELSEWHERE = verdict({ interim: false, retry: 'shed', health: 'fault', timed: false, cacheable: false });
const FAULT_OTHER_VERSION = verdict({
  interim: false,
  retry: 'version',
  health: 'fault',
  timed: false,
  cacheable: false,
});

/** What an answer with HTTP status `status` from `from` means to the gateway. */
export function judgeAnswer(status: number, from: AnswerFrom): AnswerVerdict {
  if (status < 200) return INTERIM;
  if (status === 200) return from.kind === 'replica' ? OK_OURS : OK_OTHER;
  if (status < 500 || status === 504) return PASSED;
  if (status === 503) return SHED;
  if (from.kind === 'external') return FAULT_ELSEWHERE;
  // A fallback never has a version: it is the last resort, its 5xx goes to the client.
  if (from.version !== undefined) return from.kind === 'replica' ? FAULT_OTHER_VERSION : FAULT_ELSEWHERE;
  return FAULT;
}
