// A small closed-loop load for the cluster tests: a few workers POST single-row infer requests
// through the gateway until told to stop (bounded in time and count), counting every failure.
import { Agent, request } from 'undici';

export interface LoadResult {
  ok: number;
  failures: string[];
}

/** One request body for the demo model: x [1, 60, 16]. */
export function demoBody(): string {
  const data = Array.from({ length: 60 * 16 }, (_, i) => Math.sin(i) * 0.5);
  return JSON.stringify({ inputs: [{ name: 'x', shape: [1, 60, 16], datatype: 'FP32', data }] });
}

/** POSTs `body` to `url` once: a 200 counts in `result.ok`, anything else (or a throw) in its failures. */
export async function postCounted(url: string, body: string, agent: Agent, result: LoadResult): Promise<void> {
  try {
    const res = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      dispatcher: agent,
    });
    const text = await res.body.text();
    if (res.statusCode === 200) result.ok++;
    else result.failures.push(`${res.statusCode} ${text.slice(0, 200)}`);
  } catch (err) {
    result.failures.push(`error ${(err as Error).message}`);
  }
}

/**
 * Runs `workers` loops against `url` until `stop()` is called or `maxMs` passes. A request counts as
 * failed if it throws or answers anything but 200. `stop()` lets requests already sent finish.
 */
export function startLoad(
  url: string,
  opts: { workers: number; maxMs: number; maxRequests: number; pauseMs?: number },
) {
  const agent = new Agent({ connections: opts.workers, keepAliveTimeout: 2000 });
  const result: LoadResult = { ok: 0, failures: [] };
  let stopped = false;
  let sent = 0;
  const body = demoBody();
  const deadline = Date.now() + opts.maxMs;
  const worker = async () => {
    while (!stopped && Date.now() < deadline && sent < opts.maxRequests) {
      sent++;
      await postCounted(url, body, agent, result);
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  };
  const done = Promise.all(Array.from({ length: opts.workers }, worker)).then(async () => {
    await agent.close();
    return result;
  });
  return {
    result,
    /** Requests sent so far. */
    get sent(): number {
      return sent;
    },
    /** Resolves once `n` more requests than now have succeeded (or fails after `timeoutMs`). */
    async moreOk(n: number, timeoutMs = 15_000): Promise<void> {
      const target = result.ok + n;
      const end = Date.now() + timeoutMs;
      while (result.ok < target) {
        if (Date.now() > end || stopped)
          throw new Error(
            `load: ${result.ok} of ${target} successes within ${timeoutMs} ms (${result.failures.length} failures)`,
          );
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    /** Stops sending; resolves once every request already sent has finished. */
    stop(): Promise<LoadResult> {
      stopped = true;
      return done;
    },
  };
}
