// Asking the response cache before a request is forwarded (gateway cache, data plane): a hit is
// answered by the gateway at once; a miss goes on to a replica with its ticket, so the answer can
// be kept.
import type { Exchange } from '../exchange.js';
import type { CacheHit, Lookup, ResponseCache } from './response-cache.js';

/** What answering a hit needs of the gateway. */
export interface HitWriter {
  respondCached(ex: Exchange, hit: CacheHit): void;
}

/** Looks `ex` (body read) up in `cache`: answers a hit through `writer`, else calls `forward`. */
export function consultCache(cache: ResponseCache, ex: Exchange, writer: HitWriter, forward: () => void): void {
  ex.cache = { key: undefined };
  const found = cache.lookup({ url: ex.req.url!, headers: ex.req.headers, body: ex.body! }, ex.cache);
  const then = (hit: Lookup) => {
    if (ex.done) return;
    if (hit === undefined) forward();
    else writer.respondCached(ex, hit);
  };
  if (found instanceof Promise) void found.then(then);
  else then(found);
}
