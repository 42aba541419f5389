// Alerting rules on what replicas use (ops, pure): CPU, memory and GPU against resources.*.
import { formatBytes } from '../common/units.js';
import { ALERT_THRESHOLDS, pct, RUNBOOK_DOC, type AlertRule, type RuleContext } from './alert-context.js';

export function cpuRule(p: RuleContext): AlertRule {
  const cpus = p.profile.resources.cpus;
  return p.rule(
    'ServeReplicaCpuHigh',
    `serve_controller_replica_cpu_usage_ratio{${p.sel}} > ` + `${ALERT_THRESHOLDS.cpuRatio}`,
    '5m',
    'warning',
    {
      summary:
        `Replica {{ $labels.replica }} of ${p.profile.name} uses more than ` +
        `${pct(ALERT_THRESHOLDS.cpuRatio)} of its CPUs`,
      description:
        `{{ $labels.replica }} used {{ $value | humanizePercentage }} of its ${cpus} ` +
        `CPU(s) (resources.cpus) for 5 minutes.`,
      runbook:
        `Add replicas (\`serve scale N\`) or give each more CPUs (resources.cpus, ` +
        `runtime.threads); \`serve status\` shows CPU% per replica; see ${RUNBOOK_DOC}.`,
    },
  );
}

export function memoryRule(p: RuleContext): AlertRule {
  const limit = formatBytes(p.profile.resources.memoryBytes);
  return p.rule(
    'ServeReplicaMemoryHigh',
    `serve_controller_replica_memory_usage_ratio{${p.sel}} > ` + `${ALERT_THRESHOLDS.memoryRatio}`,
    '5m',
    'warning',
    {
      summary:
        `Replica {{ $labels.replica }} of ${p.profile.name} uses more than ` +
        `${pct(ALERT_THRESHOLDS.memoryRatio)} of its memory`,
      description:
        `{{ $labels.replica }} has an RSS of {{ $value | humanizePercentage }} of ` +
        `resources.memory (${limit}); at 100% the controller replaces it.`,
      runbook:
        `Raise resources.memory or lower batching.max_batch_size; a steady climb is a ` +
        `leak worth a bug report (\`serve logs {{ $labels.replica }}\`); see ` +
        `${RUNBOOK_DOC}.`,
    },
  );
}

export function gpuRule(p: RuleContext, skipped: string[]): AlertRule | undefined {
  if (p.profile.resources.gpus <= 0) {
    skipped.push('no GPU rule: resources.gpus is 0');
    return undefined;
  }
  return p.rule(
    'ServeGpuBusy',
    `serve_controller_gpu_utilization_ratio{${p.sel}} > ${ALERT_THRESHOLDS.gpuRatio}`,
    '5m',
    'warning',
    {
      summary: `A GPU of ${p.profile.name} is busier than ${pct(ALERT_THRESHOLDS.gpuRatio)}`,
      description:
        `GPU {{ $labels.gpu }} was busy {{ $value | humanizePercentage }} of the time ` +
        `for 5 minutes. (Nothing exports this series yet: until a GPU reader does, this ` +
        `rule never fires.)`,
      runbook:
        `Spread replicas over more GPUs (resources.gpus per replica, more hosts) or add ` +
        `replicas on CPU; see ${RUNBOOK_DOC}.`,
    },
  );
}
