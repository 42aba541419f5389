// How every profile field carries over to each target (export plane, pure): where its value is
// written, or why it cannot be and the warning to print. A field without a row fails a test (see
// test/export/carry.test.ts), so a new profile field is never silently dropped: add its row here.
import type { ProfilePath } from '../profile/schema.js';
import { gatewayCarry } from './carry-gateway.js';
import { replicaCarry, gpuMemoryRow } from './carry-replica.js';
import { routingCarry } from './carry-routing.js';
import { scalingCarry } from './carry-scaling.js';
import { rows, same, type CarryContext, type CarryRow } from './carry-types.js';
import type { ExportTarget } from './types.js';

export type { Carry, CarryContext, CarryRow } from './carry-types.js';

/**
 * Every profile field (YAML path; a list field such as `hosts` by its own path)
 * and how each target carries it. Keys are typed, so a renamed field does not compile; a field
 * with no row fails test/export/carry.test.ts with the row to add.
 */
export const carryTable: { [K in ProfilePath]?: CarryRow } & Record<string, CarryRow> = {
  name: same({ na: 'names the files and their headers' }),
  'model.name': {
    triton: { to: 'the model folder and config.pbtxt name' },
    kserve: { to: 'metadata.name and the Triton model name' },
    ray: { to: 'the application name and the OIP model name' },
  },
  'model.version': same({ to: 'the version folder (latest is resolved when exporting)' }),
  'model.registry': same({ na: 'where the model files are copied from' }),
  ...scalingCarry,
  ...replicaCarry,
  ...gatewayCarry,
  ...routingCarry,
  // After the gateway's rows, where it was added: the order of the rows is the order of the warnings.
  'resources.gpu_memory': gpuMemoryRow,
  hosts: same({ na: 'the engine places replicas on its own nodes' }),
  env: same({
    warn: (c) =>
      c.profile.env
        ? `env (${Object.keys(c.profile.env).join(', ')}) does not carry: set these variables in the ` +
          "engine's own environment (its container or runtime_env)"
        : undefined,
  }),
  ...rows(
    [
      'ssh.known_hosts',
      'ssh.identity_file',
      'ssh.config_file',
      'ssh.connect_timeout',
      'ssh.keepalive',
      'ssh.keepalive_count',
    ],
    same({ na: 'serve reaches SSH hosts itself; the engine has its own nodes' }),
  ),
  ...rows(
    ['tune.batch_sizes', 'tune.batch_waits', 'tune.replicas', 'tune.threads'],
    same({
      na: 'a search space of `serve tune`; the export carries the values it chose, as ' + 'written in the profile',
    }),
  ),
  ...rows(
    ['cost.cpu_hour', 'cost.gpu_hour', 'cost.gib_hour'],
    same({ na: 'prices `serve tune` ranks configurations by; nothing to configure in the engine' }),
  ),
  'controller.metrics_port': same({ na: "the serve controller's own /metrics; the engine exports its own metrics" }),
  'controller.orphan_timeout': same({
    na: "how long serve's own children outlive a dead serve controller; the engine supervises its own processes",
  }),
  'rollout.on_inconclusive': same({ na: 'how `serve rollout` decides; the engine has its own way to change versions' }),
  ...rows(['local.cpus', 'local.memory', 'local.gpus'], same({ na: 'the capacity of the host serve runs on' })),
  ...rows(
    [
      'slo.p50',
      'slo.p90',
      'slo.p95',
      'slo.p99',
      'slo.p999',
      'slo.max',
      'slo.error_rate',
      'slo.throughput.target',
      'slo.throughput.minimum',
    ],
    same({ na: 'a target `serve bench --profile` gates on, against any --url' }),
  ),
};

/**
 * The warnings of the carry table for `target`: one per distinct message, naming every field it
 * concerns ("replicas.min, replicas.max: ...").
 */
export function carryWarnings(target: ExportTarget, c: CarryContext): Array<{ field: string; message: string }> {
  const byMessage = new Map<string, string[]>();
  for (const [field, row] of Object.entries(carryTable)) {
    const message = row[target].warn?.(c);
    if (message === undefined) continue;
    byMessage.set(message, [...(byMessage.get(message) ?? []), field]);
  }
  return [...byMessage].map(([message, fields]) => ({ field: fields.join(', '), message }));
}
