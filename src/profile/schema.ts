// The profile's YAML shape (control plane): every field, its kind, default and documentation. The
// loader, the JSON Schema for editors and the README field table are all derived from this tree;
// the data-plane fields come from the settings table in common/, so their defaults are written once.
import { gatewaySection, cache } from './fields/gateway-fields.js';
import { controller, hosts, local, sshSection } from './fields/host-fields.js';
import {
  autoscaling,
  batching,
  health,
  model,
  replica,
  replicas,
  resources,
  restart,
  runtime,
} from './fields/replica-fields.js';
import { costSection, tuneSection } from './fields/tune-fields.js';
import {
  anyString,
  duration,
  envName,
  fraction,
  identifier,
  mapOf,
  number,
  oneOf,
  partialSection,
  section,
  type LeafPath,
  type ValueOf,
} from './fields/fields.js';

const slo = partialSection(
  'Targets `serve bench --profile` gates on. Absent: the platform targets below; ' +
    'present: only the fields written are gated.',
  {
    p50: duration({ positive: true, doc: 'Median latency target.', default: '50ms' }),
    p90: duration({ positive: true, doc: '90th percentile latency target.', defaultText: 'not gated' }),
    p95: duration({ positive: true, doc: '95th percentile latency target.', default: '80ms' }),
    p99: duration({ positive: true, doc: '99th percentile latency target.', default: '100ms' }),
    p999: duration({ positive: true, doc: '99.9th percentile latency target.', defaultText: 'not gated' }),
    max: duration({ positive: true, doc: 'Slowest request allowed.', default: '200ms' }),
    error_rate: fraction({ doc: 'Share of failed requests allowed.', default: '1%' }),
    throughput: section('Request rate the deployment is meant to carry.', {
      target: number({
        positive: true,
        unit: 'req/s',
        doc: 'Requests per second the system is meant to carry (the default bench rate).',
        defaultText: 'not gated',
      }),
      minimum: number({
        positive: true,
        unit: 'req/s',
        doc: 'The achieved rate must be at least this.',
        defaultText: 'not gated',
      }),
    }),
  },
);

const rollout = section('How `serve rollout` decides ([rollouts](../guide/rollouts.md)).', {
  on_inconclusive: oneOf(['rollback', 'proceed'] as const, {
    doc:
      'What a rollout step does when its judgement is still "not yet" (an interval straddles its ' +
      'limit) at `--max-step-time`: roll back, or go on to the next step.',
    default: 'rollback',
  }),
});

/** The root of the profile tree; keys are the snake_case names written in YAML. */
export const profileTree = section(
  'A serving profile: which model, how many replicas, how they scale, and the ' + 'targets they must meet.',
  {
    name: identifier({
      what: 'a profile name',
      doc: 'Profile name shown by `serve status`.',
      defaultText: 'file name without .yaml',
    }),
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
    env: mapOf(
      'Environment variables set in every replica and the gateway. Nothing else of the ' +
        'environment `serve up` runs in reaches them but PATH, HOME, the locale, TZ, TMPDIR and the ONNX Runtime, CUDA and NVIDIA variables (see the security guide).',
      envName({ doc: 'A variable name.' }),
      anyString({ doc: 'Its value, as the child sees it.', required: true }),
    ),
    local,
    hosts,
    ssh: sshSection,
    controller,
    slo,
    rollout,
    tune: tuneSection,
    cost: costSection,
  },
);

/** A loaded profile file's values, normalized (ms, bytes, fractions) and typed by the tree. */
export type ProfileYaml = ValueOf<typeof profileTree>;

/** Every leaf's dotted YAML path, for rules and messages ("batching.max_batch_size"). */
export type ProfilePath = LeafPath<typeof profileTree>;
