// How the gateway's address, queue, request timeout and ejection, and the drain, carry to each
// target (export plane, pure): each engine has its own front door and its own health-based routing.
import { formatDuration } from '../profile/fields/fields.js';
import type { ProfilePath } from '../profile/schema.js';
import type { CarryRow } from './carry-types.js';
import type { ExportTarget } from './types.js';

const d = formatDuration;

const ejectWhy: Record<ExportTarget, string> = {
  triton: 'a single Triton server has no replicas to eject',
  kserve: 'Kubernetes takes a pod out of routing only when its readiness probe fails, not ' + 'after failed requests',
  ray: 'Ray Serve routes around a replica only when its health check fails, not after failed requests',
};

/** Rows of the gateway's routing fields and drain_timeout, spread into the carry table (export/carry.ts). */
export const routingCarry: { [K in ProfilePath]?: CarryRow } = {
  'gateway.host': {
    triton: {
      na:
        'tritonserver listens on all addresses; its ports are command-line flags (see ' +
        'docs/guide/export.md, deploying each export)',
    },
    kserve: { na: 'the InferenceService gets its own URL' },
    ray: {
      to: 'http_options.host',
      warn: (c) =>
        /^(127\.|localhost$|::1$)/.test(c.profile.gateway.host)
          ? `Ray's proxies will listen on ${c.profile.gateway.host} only, unreachable from ` +
            `other machines: export with SERVE_HOST=0.0.0.0 (or edit http_options.host)`
          : undefined,
    },
  },
  'gateway.port': {
    triton: { na: 'tritonserver --http-port (see docs/guide/export.md, deploying each export)' },
    kserve: { na: 'the InferenceService gets its own URL' },
    ray: {
      to: 'http_options.port',
      warn: (c) =>
        c.profile.gateway.port === 0
          ? 'gateway.port 0 (a free port) cannot be given to Ray: http_options.port is 8000'
          : undefined,
    },
  },
  'gateway.max_queued_requests': {
    triton: {
      warn: (c) =>
        `there is no gateway queue in front of Triton (` +
        `${c.profile.gateway.maxQueuedRequests} requests): requests wait in the model's ` +
        `queue (batching.max_queued_requests)`,
    },
    kserve: {
      warn: (c) =>
        c.schedule
          ? `the Kubernetes Service in front of the pods has no queue (serve's gateway ` +
            `holds up to ${c.profile.gateway.maxQueuedRequests}): requests wait in Triton's ` +
            `queue (batching.max_queued_requests) and are shed beyond it`
          : `Knative's activator and queue-proxy buffer requests without serve's bound of ` +
            `${c.profile.gateway.maxQueuedRequests}; Triton's own queue ` +
            `(batching.max_queued_requests) sheds beyond it`,
    },
    ray: { to: 'max_queued_requests (queued at each proxy, HTTP 503 beyond it)' },
  },
  'gateway.request_timeout': {
    triton: {
      to: 'dynamic_batching.default_queue_policy.default_timeout_microseconds',
      warn: (c) =>
        `Triton times out a request only while it is queued (` +
        `${d(c.profile.gateway.requestTimeoutMs)}, REJECT, overridable by the request's ` +
        `timeout parameter); serve's budget covers the whole request, retries included`,
    },
    kserve: {
      to: 'spec.predictor.timeout and the Triton queue policy',
      warn: (c) =>
        c.profile.gateway.requestTimeoutMs % 1000 !== 0
          ? `spec.predictor.timeout is in whole seconds: ` +
            `${d(c.profile.gateway.requestTimeoutMs)} is written as ` +
            `${Math.ceil(c.profile.gateway.requestTimeoutMs / 1000)}s (the Triton queue ` +
            `policy keeps ${d(c.profile.gateway.requestTimeoutMs)})`
          : undefined,
    },
    ray: { to: 'http_options.request_timeout_s' },
  },
  'gateway.eject_after_failures': {
    triton: { na: ejectWhy.triton },
    kserve: { warn: () => ejectWhy.kserve },
    ray: { warn: () => ejectWhy.ray },
  },
  'gateway.eject_for': {
    triton: { na: ejectWhy.triton },
    kserve: { warn: () => ejectWhy.kserve },
    ray: { warn: () => ejectWhy.ray },
  },
  'gateway.try_timeout_min': {
    triton: { na: 'a single Triton server has no other replica to resend a request to' },
    kserve: {
      warn: () =>
        'KServe has no per-try timeout: a request at a pod that stopped answering waits for ' +
        'spec.predictor.timeout (an Istio VirtualService retries.perTryTimeout can add one)',
    },
    ray: {
      warn: () =>
        'Ray Serve has no per-try timeout: a request at a replica that stopped answering waits ' +
        'for http_options.request_timeout_s',
    },
  },
  'gateway.replica_transport': {
    triton: { na: "how serve's gateway reaches its own replicas; Triton has no such hop" },
    kserve: { na: "how serve's gateway reaches its own replicas; KServe routes over HTTP" },
    ray: { na: "how serve's gateway reaches its own replicas; Ray Serve routes inside Ray" },
  },
  'gateway.keep_connections': {
    triton: { na: "how serve's gateway process survives its own crash; Triton runs one server process" },
    kserve: { na: "how serve's gateway process survives its own crash; KServe's ingress is not serve's" },
    ray: { na: "how serve's gateway process survives its own crash; Ray Serve's proxies are Ray's" },
  },
  drain_timeout: {
    triton: {
      warn: (c) =>
        `tritonserver takes its drain time as a flag: run it with --exit-timeout-secs=` +
        `${Math.ceil(c.profile.drainTimeoutMs / 1000)}`,
    },
    kserve: { to: 'spec.predictor.terminationGracePeriodSeconds' },
    ray: { to: 'graceful_shutdown_timeout_s' },
  },
};
