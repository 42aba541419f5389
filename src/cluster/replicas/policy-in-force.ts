// A supervised child's policy from the profile in force (control plane): restart policy, startup
// timeout and failure threshold are read at each decision, so a profile put in force changes them.
import type { InForce } from '../in-force.js';
import type { ChildPolicy } from './child-state.js';

/** The replicas' policy, live on `inForce`; `fixed` pins fields (the gateway: one failure, fail fast). */
export function policyInForce(inForce: InForce, fixed: Partial<ChildPolicy> = {}): ChildPolicy {
  const live: ChildPolicy = {
    get restart() {
      return inForce.profile.restart;
    },
    get startupTimeoutMs() {
      return inForce.profile.health.startupTimeoutMs;
    },
    get failureThreshold() {
      return inForce.profile.health.failureThreshold;
    },
  };
  // Pinned fields replace the getters on the object itself (a spread would freeze the getters' values).
  for (const [field, value] of Object.entries(fixed)) Object.defineProperty(live, field, { value, enumerable: true });
  return live;
}
