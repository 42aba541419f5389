// Prometheus alerting rules from a profile's targets (ops, pure): the slo, resources and operations groups,
// built by alert-slo-rules.ts, alert-resource-rules.ts and alert-operation-rules.ts; YAML is alert-yaml.ts.
import type { Profile } from '../profile/types.js';
import { RuleContext, type AlertRule } from './alert-context.js';
import {
  autoscalingRule,
  crashLoopRule,
  healthRule,
  sheddingRule,
  targetDownRule,
  tlsExpiryRule,
} from './alert-operation-rules.js';
import { cpuRule, gpuRule, memoryRule } from './alert-resource-rules.js';
import { errorRateRule, latencyRule, throughputRule } from './alert-slo-rules.js';

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** The rules of one profile and the alerts left out (with why). */
export interface AlertRuleSet {
  profile: string;
  groups: RuleGroup[];
  /** "no throughput rule: slo.throughput.minimum is not set" ... */
  skipped: string[];
}

/** Every rule for `profile`; a target the profile does not set gives no rule (listed in `skipped`). */
export function alertRules(profile: Profile): AlertRuleSet {
  const p = new RuleContext(profile);
  const skipped: string[] = [];
  const slo = [latencyRule(p, skipped), errorRateRule(p, skipped), throughputRule(p, skipped)];
  const resources = [cpuRule(p), memoryRule(p), gpuRule(p, skipped)];
  const operations = [
    targetDownRule(p),
    healthRule(p),
    crashLoopRule(p),
    autoscalingRule(p, skipped),
    sheddingRule(p),
    tlsExpiryRule(p),
  ];
  const keep = (rules: Array<AlertRule | undefined>) => rules.filter((r): r is AlertRule => r !== undefined);
  return {
    profile: profile.name,
    groups: [
      { name: `serve-${profile.name}-slo`, rules: keep(slo) },
      { name: `serve-${profile.name}-resources`, rules: keep(resources) },
      { name: `serve-${profile.name}-operations`, rules: keep(operations) },
    ],
    skipped,
  };
}
