// An open-loop load for the autoscaling tests: requests at a rate that follows a plan (req/s per
// phase), sent on schedule whatever the answers do, counted per second, every failure kept.
import { Agent } from 'undici';
import { demoBody, postCounted } from './load.js';

export interface OpenLoadResult {
  ok: number;
  failures: string[];
  /** Requests sent in each second since the start. */
  sentPerSecond: number[];
}

/** Sends at `plan[i].ratePerSec` for `plan[i].seconds`, one phase after another; resolves when all answered. */
export function openLoad(url: string, plan: ReadonlyArray<{ seconds: number; ratePerSec: number }>, maxInFlight = 256) {
  const agent = new Agent({ connections: maxInFlight, keepAliveTimeout: 5000 });
  const result: OpenLoadResult = { ok: 0, failures: [], sentPerSecond: [] };
  const body = demoBody();
  const start = performance.now();
  const totalS = plan.reduce((a, p) => a + p.seconds, 0);
  /** Requests due by `t` seconds into the plan. */
  const dueBy = (t: number) => {
    let due = 0;
    let at = 0;
    for (const p of plan) {
      const span = Math.min(p.seconds, Math.max(0, t - at));
      due += span * p.ratePerSec;
      at += p.seconds;
    }
    return Math.floor(due);
  };
  let sent = 0;
  const pending = new Set<Promise<void>>();
  const send = () => {
    const second = Math.floor((performance.now() - start) / 1000);
    result.sentPerSecond[second] = (result.sentPerSecond[second] ?? 0) + 1;
    const p = postCounted(url, body, agent, result);
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const done = new Promise<OpenLoadResult>((resolve) => {
    const timer = setInterval(() => {
      const t = (performance.now() - start) / 1000;
      const due = dueBy(Math.min(t, totalS));
      while (sent < due) {
        sent++;
        send();
      }
      if (t >= totalS) {
        clearInterval(timer);
        void Promise.all([...pending]).then(async () => {
          await agent.close();
          result.sentPerSecond = Array.from({ length: Math.ceil(totalS) }, (_, i) => result.sentPerSecond[i] ?? 0);
          resolve(result);
        });
      }
    }, 5);
  });
  return { result, done, startedAt: start };
}
