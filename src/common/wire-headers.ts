// What every HTTP header of serve's wire means (common, every plane), as data: who sends it, where,
// and its values. docs/reference/wire.md is rendered from this table, so a header's name is the
// constant the code uses and its description sits next to it.
import {
  BINARY_HEADER_LENGTH,
  CACHE_STATUS,
  CLUSTER_TOKEN_HEADER,
  GATEWAY_INFLIGHT_HEADER,
  MAX_BUDGET_MS,
  MODEL_VERSION_HEADER,
  PRIORITY_HEADER,
  REPLICA_HEADER,
  TIMEOUT_HEADER,
} from './wire.js';

/** One header: its name as sent, which way it goes, who reads or writes it, and what it means. */
export interface WireHeaderDoc {
  name: string;
  /** `request`: a client (or the gateway) sends it; `response`: serve answers with it. */
  direction: 'request' | 'response';
  /** Who sets it and who reads it, in a few words. */
  between: string;
  meaning: string;
  /** Its values and what each means, where there is a fixed set or a form worth showing. */
  values?: ReadonlyArray<readonly [value: string, meaning: string]>;
}

/** Every header serve defines or gives a meaning to, in the order the reference lists them. */
export const wireHeaders: readonly WireHeaderDoc[] = [
  {
    name: TIMEOUT_HEADER,
    direction: 'request',
    between: 'client → gateway → replica',
    meaning:
      `The request's remaining time budget in milliseconds: plain decimal above 0 (at ` +
      `most 6 decimals), capped at ${MAX_BUDGET_MS} (10 minutes). ` +
      "The gateway passes on what is left of it (less the gateway's forward margin, 2 " +
      'ms by default); a request still queued when it runs out is answered 504 without ' +
      'running the model. ' +
      'Absent: gateway.request_timeout at the gateway, no deadline at a replica. Any ' +
      'other form (0 included) is answered 400.',
    values: [
      ['250', '250 ms of budget left'],
      ['0.5', 'half a millisecond'],
    ],
  },
  {
    name: PRIORITY_HEADER,
    direction: 'request',
    between: 'client → gateway → replica',
    meaning:
      'Integer priority 0 (default, lowest) to 9. Higher is batched first and shed ' +
      'last: when a queue is full, a request of higher priority than the lowest queued ' +
      'one evicts the newest of those, which gets 503.',
  },
  {
    name: 'authorization',
    direction: 'request',
    between: 'client → gateway',
    meaning:
      'With gateway.auth tokens configured, every request but the open paths must ' +
      'carry one as a bearer token, else 401; a token over its requests_per_second and burst gets 429.',
    values: [['Bearer TOKEN', "one of the profile's tokens (only its SHA-256 digest is kept)"]],
  },
  {
    name: CLUSTER_TOKEN_HEADER,
    direction: 'request',
    between: 'gateway and controller probes → replica',
    meaning:
      "The cluster's token; a replica started with one answers 401 to an inference " +
      'request without it. /metrics and health carry no data and need no token.',
  },
  {
    name: GATEWAY_INFLIGHT_HEADER,
    direction: 'request',
    between: 'gateway → replica',
    meaning:
      'Requests the gateway had in flight to that replica when it sent this one, ' +
      'itself included. Adaptive batching reads demand from it: with max_batch_size or ' +
      'more in flight (within the last 20 ms) filling batches pays. A malformed value is ignored.',
  },
  {
    name: BINARY_HEADER_LENGTH,
    direction: 'request',
    between: 'client → gateway → replica (and back)',
    meaning:
      "Triton's binary tensor extension: the length in bytes of the JSON header that " +
      'precedes the binary tensor data in the body. Answers in binary form carry it too.',
  },
  {
    name: MODEL_VERSION_HEADER,
    direction: 'response',
    between: 'gateway → client',
    meaning:
      'The model version of the replica that answered (on a cache hit, of the answer ' +
      'kept), so clients and `serve bench` tell versions apart during a rollout.',
  },
  {
    name: REPLICA_HEADER,
    direction: 'response',
    between: 'gateway and replica → client',
    meaning: 'The id of the replica that answered (a replica sets it when started with --replica-id).',
  },
  {
    name: 'cache-status',
    direction: 'response',
    between: 'gateway → client',
    meaning:
      'RFC 9211 form, on every infer answer of a gateway with cache.enabled: whether ' +
      "it came from the cache. A miss's answer is kept after it is written to the " +
      'client, so the value never says `stored` (serve_gateway_cache_entries shows what is kept).',
    values: [
      [CACHE_STATUS.hit, "answered from the gateway's memory"],
      [CACHE_STATUS.redisHit, 'answered from the shared Redis level'],
      [CACHE_STATUS.miss, 'not in the cache: forwarded to a replica (the answer is kept)'],
      [
        CACHE_STATUS.bypass,
        'forwarded, not cacheable: not one JSON object, a bad binary header length, a doubled `id`',
      ],
    ],
  },
  {
    name: 'server-timing',
    direction: 'response',
    between: 'gateway and replica → client',
    meaning:
      "Where the time went, in milliseconds: the gateway's entries first, then the " +
      "replica's. gateway minus upstream is the gateway's own overhead.",
    values: [
      ['gateway;dur=MS', 'the whole time in the gateway'],
      ['upstream;dur=MS', 'time the gateway waited on replicas'],
      ['queue;dur=MS', "time the request waited in the replica's batch queue"],
      ['batch;desc=ROWS', 'rows in the model run this request was part of'],
      ['infer;dur=MS', 'time that model run took'],
    ],
  },
  {
    name: 'retry-after',
    direction: 'response',
    between: 'gateway and replica → client',
    meaning:
      'Seconds to wait before retrying. Every 503 (shed for load, no replica ready, ' +
      'draining, gateway waiting for its tokens) carries 1; a 429 (token over its ' +
      'quota) carries the seconds until its bucket has room.',
  },
];
