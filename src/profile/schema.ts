// The profile's YAML shape (control plane): every field, its kind, default and documentation. The
// loader, the JSON Schema for editors and the README field table are all derived from this tree;
// the data-plane fields come from the settings table in common/, so their defaults are written once.
import { gatewaySettingsTable as gw, replicaSettingsTable as rep, type GatewaySettings, type ReplicaSettings } from '../common/settings-table.js';
import { tokensLeaf } from './auth-tokens.js';
import { external, fallback, shadow } from './migration-fields.js';
import { costSection, tuneSection } from './tune-fields.js';
import { autoOr, boolean, bytes, duration, fraction, identifier, integer, list, number, partialSection, section, settingLeaf, text, version, type LeafPath, type ValueOf } from './fields.js';

const replica = <K extends keyof ReplicaSettings>(k: K) => settingLeaf<ReplicaSettings[K]>(rep[k]);
const gateway = <K extends keyof GatewaySettings>(k: K, what?: string) => settingLeaf<GatewaySettings[K]>(gw[k], what);

const model = section('The model to serve, from a registry folder laid out as `<registry>/<name>/<version>/model.onnx`.', {
  name: identifier({ what: 'a model name such as "cnn-lstm"', doc: 'Model name in the registry.', required: true }),
  version: version({ doc: 'Model version, or "latest" for the highest one in the registry.', default: 'latest' }),
  registry: text({ what: 'a folder path such as "./models"', doc: 'Registry folder; a relative path is resolved against the directory `serve` runs in. ${PROFILE_DIR} is the profile file\'s folder.', default: './models' }),
});

const replicas = section('How many replicas run.', {
  min: integer({ min: 0, max: 1024, doc: 'Fewest replicas the autoscaler keeps.', default: 1 }),
  max: integer({ min: 1, max: 1024, doc: 'Most replicas the autoscaler starts.', defaultText: 'the larger of min and initial' }),
  initial: integer({ min: 0, max: 1024, doc: 'Replicas started by `serve up`.', defaultText: 'min' }),
});

const autoscaling = section('Request-based autoscaling (like Ray Serve): keep requests in flight at replicas plus queued at the gateway near a target per replica.', {
  enabled: boolean({ doc: 'Scale between replicas.min and replicas.max; false keeps the replica count fixed.', default: true }),
  target_ongoing_requests: number({ positive: true, max: 10_000, unit: 'requests', doc: 'Desired requests per replica: in flight at the replicas plus queued at the gateway, divided by the replica count.', default: 3 }),
  upscale_delay: duration({ doc: 'Load must stay above target this long before replicas are added.', default: '15s' }),
  downscale_delay: duration({ doc: 'Load must stay below target this long before replicas are removed.', default: '120s' }),
  metrics_interval: duration({ positive: true, doc: 'How often the controller samples the replicas\' in-flight requests and the gateway\'s queue and latency.', default: '1s' }),
  look_back: duration({ positive: true, doc: 'Window over which samples are averaged.', default: '10s' }),
  latency_guard: boolean({ doc: "Also scale up, one replica at a time, while the gateway's p99 over look_back exceeds slo.p99 and requests wait at the gateway or in the replicas' queues (see Autoscaling).", default: false }),
});

const resources = section('What one replica needs; placement packs replicas onto the host by these.', {
  cpus: number({ positive: true, max: 1024, unit: 'CPUs', doc: 'CPUs per replica (fractions allowed).', default: 1 }),
  gpus: number({ min: 0, max: 64, unit: 'GPUs', doc: 'GPUs per replica when a GPU exists (0.5 = two replicas share one; above 1 a whole number); ignored on CPU-only hosts.', default: 0 }),
  memory: bytes({ doc: 'Memory per replica; a replica whose RSS exceeds it is restarted (on this machine; not checked on SSH hosts).', default: '1GiB' }),
  gpu_memory: bytes({ doc: 'GPU memory per GPU replica, checked against each GPU\'s free memory as nvidia-smi reports it when `serve up` starts.', defaultText: 'not checked' }),
});

const batching = section('Dynamic batching inside each replica.', {
  max_batch_size: replica('maxBatchSize'),
  batch_wait_timeout: replica('batchWaitMs'),
  mode: replica('batchingMode'),
  max_queued_requests: replica('maxQueuedRequests'),
});

const runtime = section('ONNX Runtime settings of each replica.', {
  device: replica('device'),
  threads: replica('threads'),
});

const health = section('Readiness probes the controller sends to every replica.', {
  period: duration({ positive: true, doc: 'Time between probes.', default: '500ms' }),
  timeout: duration({ positive: true, doc: 'A probe slower than this fails; must be shorter than period.', default: '200ms' }),
  failure_threshold: integer({ min: 1, max: 100, doc: 'Consecutive failed probes before a replica is ejected and replaced.', default: 3 }),
  startup_timeout: duration({ positive: true, doc: 'How long a starting replica may take to become ready; a start that times out counts as a failure.', default: '30s' }),
});

const restart = section('Restarting replicas that exit or fail their probes, with exponential backoff.', {
  initial_backoff: duration({ doc: 'Wait before the first restart.', default: '100ms' }),
  multiplier: number({ min: 1, max: 100, unit: 'factor', doc: 'Each further restart waits this many times longer.', default: 1.5 }),
  max_backoff: duration({ doc: 'Longest wait between restarts.', default: '15s' }),
  reset_after: duration({ doc: 'Healthy time after which the backoff starts again from initial_backoff.', default: '30s' }),
  crash_loop: section('When to stop restarting and mark the replica failed.', {
    failures: integer({ min: 1, max: 1000, doc: 'Failures within the window, or failed starts in a row (never ready), that mark a crash loop.', default: 5 }),
    window: duration({ positive: true, doc: 'Window in which failures are counted.', default: '10s' }),
  }),
  failed_retry: duration({ positive: true, doc: 'How long a failed (crash-looping) replica waits before it is tried once more from scratch.', default: '5m' }),
});

const auth = section('Bearer tokens clients must send (`Authorization: Bearer TOKEN`); without tokens the gateway lets anyone in.', {
  tokens: tokensLeaf('Accepted tokens: each a string (usually "${ENV_VAR}") or {token, name, requests_per_second, burst}; hashed when the profile loads.'),
  tokens_file: text({ what: 'a file path such as "/etc/serve/tokens"', doc: 'A file of more tokens, one a line: `[name] token [requests_per_second=N] [burst=N]`; must be mode 0600 (a relative path is taken from the directory serve runs in).', defaultText: 'none' }),
  open_health: boolean({ doc: 'Answer /v2/health/live and /v2/health/ready without a token (load balancers, probes).', default: true }),
  open_metrics: boolean({ doc: 'Answer /metrics without a token; off, Prometheus sends a token too.', default: false }),
});

const tls = section('HTTPS on the gateway; the files are read again on SIGHUP to the gateway (renewed certificates, no dropped connection).', {
  cert: text({ what: 'a PEM file path such as "/etc/serve/tls/cert.pem"', doc: 'Certificate chain (PEM) the gateway presents.', defaultText: 'none (plain HTTP)' }),
  key: text({ what: 'a PEM file path such as "/etc/serve/tls/key.pem"', doc: 'Private key (PEM) of the certificate.', defaultText: 'none' }),
});

const gatewaySection = section('The public endpoint in front of the replicas.', {
  host: gateway('host', 'a host or IP address such as "127.0.0.1"'),
  port: gateway('port'),
  max_queued_requests: gateway('maxQueuedRequests'),
  request_timeout: gateway('requestTimeoutMs'),
  eject_after_failures: gateway('ejectAfterFailures'),
  eject_for: gateway('ejectForMs'),
  auth,
  tls,
  external,
  fallback,
  shadow,
});

const cache = section('Response cache of the gateway: a repeated infer request is answered without a replica hop.', {
  enabled: gateway('cacheEnabled'),
  max_entries: gateway('cacheMaxEntries'),
  max_bytes: gateway('cacheMaxBytes'),
  ttl: gateway('cacheTtlMs'),
  redis: section('Optional second level in Redis, shared by every gateway of the model; when it is slow or down, requests are served without it.', {
    url: gateway('cacheRedisUrl', 'a URL such as "redis://127.0.0.1:6379" (use ${REDIS_URL} for one with a password)'),
    prefix: gateway('cacheRedisPrefix', 'a key prefix such as "serve:cache:"'),
    timeout: gateway('cacheRedisTimeoutMs'),
  }),
});

const local = section('Capacity of this host for placement; "auto" detects it.', {
  cpus: autoOr(number({ positive: true, doc: '' }), { doc: 'CPUs placement may hand out (os.availableParallelism when auto).', default: 'auto' }),
  memory: autoOr(bytes({ doc: '' }), { doc: 'Memory placement may hand out (total memory when auto).', default: 'auto' }),
  gpus: autoOr(integer({ min: 0, max: 64, doc: '' }), { doc: 'GPUs placement may hand out (detected when auto).', default: 'auto' }),
});

const host = section('One machine replicas may run on.', {
  name: identifier({ what: 'a host name such as "gpu-1"', doc: 'Name of the host in `serve status`, logs and `serve hosts`.', required: true }),
  ssh: text({ what: 'an SSH destination such as "ops@gpu-1.internal"', doc: 'SSH destination: user@host, ssh://user@host:port or a ~/.ssh/config alias. Absent: this machine (at most one such host).', defaultText: 'this machine' }),
  address: text({ what: 'a host name or IP address such as "10.0.0.5"', doc: 'Address of the host that the gateway reaches its replicas on; they listen on it.', defaultText: 'the host name ssh connects to' }),
  cpus: autoOr(number({ positive: true, doc: '' }), { doc: 'CPUs placement may hand out on the host (auto: nproc there).', default: 'auto' }),
  memory: autoOr(bytes({ doc: '' }), { doc: 'Memory placement may hand out on the host (auto: MemTotal there).', default: 'auto' }),
  gpus: autoOr(integer({ min: 0, max: 64, doc: '' }), { doc: 'GPUs placement may hand out on the host (auto: what nvidia-smi lists there).', default: 'auto' }),
  workdir: text({ what: 'an absolute folder path such as "/opt/serve"', doc: 'Folder on the host where serve is installed (it holds bin/serve.js); replicas run there.', defaultText: 'the folder of serve on this machine' }),
  node: text({ what: 'a command or path such as "node"', doc: 'Node.js binary on the host.', default: 'node' }),
  registry: text({ what: 'an absolute folder path such as "/opt/serve/models"', doc: 'Model registry on the host; `serve up` copies the model version there when it is missing.', defaultText: '<workdir>/models' }),
});

const hosts = list('Machines the replicas run on; replicas are spread over them. Reached over SSH unless `ssh` is absent.', host, {
  maxItems: 64, defaultText: 'this machine only, named local',
});

const sshSection = section('How `serve` reaches SSH hosts: the system `ssh`, with host keys checked against known_hosts and no prompts.', {
  known_hosts: text({ what: 'a file path such as "~/.ssh/known_hosts"', doc: 'The only file host keys are checked against (`serve hosts trust` adds to it).', default: '~/.ssh/known_hosts' }),
  identity_file: text({ what: 'a file path such as "~/.ssh/id_ed25519"', doc: 'Private key to log in with (only this one is offered); absent: the agent and ~/.ssh/config decide.', defaultText: 'ssh\'s own choice' }),
  config_file: text({ what: 'a file path such as "~/.ssh/config"', doc: 'ssh client configuration file (ssh -F); "none" reads none.', defaultText: '~/.ssh/config' }),
  connect_timeout: duration({ minMs: 1000, maxMs: 600_000, doc: 'Longest wait for a host to answer a new connection (whole seconds).', default: '5s' }),
  keepalive: duration({ minMs: 1000, maxMs: 600_000, doc: 'Interval of SSH keep-alives and controller heartbeats (whole seconds); a host that stops answering is lost after keepalive_count of them.', default: '5s' }),
  keepalive_count: integer({ min: 1, max: 100, doc: 'Unanswered keep-alives after which a host is lost and its replicas are placed elsewhere.', default: 3 }),
});

const controller = section('The controller process (`serve up`) itself.', {
  metrics_port: integer({
    min: 0, max: 65535, default: 0,
    doc: "Loopback port of the controller's own /metrics (replicas, restarts, scaling decisions, active profile); 0 picks a free one (`serve status` shows it).",
  }),
});

const slo = partialSection(
  'Targets `serve bench --profile` gates on. Absent: the platform targets below; present: only the fields written are gated.',
  {
    p50: duration({ positive: true, doc: 'Median latency target.', default: '50ms' }),
    p90: duration({ positive: true, doc: '90th percentile latency target.', defaultText: 'not gated' }),
    p95: duration({ positive: true, doc: '95th percentile latency target.', default: '80ms' }),
    p99: duration({ positive: true, doc: '99th percentile latency target.', default: '100ms' }),
    p999: duration({ positive: true, doc: '99.9th percentile latency target.', defaultText: 'not gated' }),
    max: duration({ positive: true, doc: 'Slowest request allowed.', default: '200ms' }),
    error_rate: fraction({ doc: 'Share of failed requests allowed.', default: '1%' }),
    throughput: section('Request rate the deployment is meant to carry.', {
      target: number({ positive: true, unit: 'req/s', doc: 'Requests per second the system is meant to carry (the default bench rate).', defaultText: 'not gated' }),
      minimum: number({ positive: true, unit: 'req/s', doc: 'The achieved rate must be at least this.', defaultText: 'not gated' }),
    }),
  },
);

/** The root of the profile tree; keys are the snake_case names written in YAML. */
export const profileTree = section('A serving profile: which model, how many replicas, how they scale, and the targets they must meet.', {
  name: identifier({ what: 'a profile name', doc: 'Profile name shown by `serve status`.', defaultText: 'file name without .yaml' }),
  model,
  replicas,
  autoscaling,
  resources,
  batching,
  runtime,
  health,
  restart,
  gateway: gatewaySection,
  cache,
  drain_timeout: replica('drainTimeoutMs'),
  local,
  hosts,
  ssh: sshSection,
  controller,
  slo,
  tune: tuneSection,
  cost: costSection,
});

/** A loaded profile file's values, normalized (ms, bytes, fractions) and typed by the tree. */
export type ProfileYaml = ValueOf<typeof profileTree>;

/** Every leaf's dotted YAML path, for rules and messages ("batching.max_batch_size"). */
export type ProfilePath = LeafPath<typeof profileTree>;
