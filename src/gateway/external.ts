// The weighted choice of the gateway (gateway, data plane): a pure function that sends each infer
// request's first try to one of the external servers or to the replicas.

export {
  isBaseUrl,
  parseExternalServers,
  formatExternalServers,
  type ExternalServer,
} from '../common/external-servers.js';

/**
 * The weighted choice: index of the external server a request goes to, or -1 for the replicas.
 * `random` is in [0, 1); server i takes weights[i] percent of draws, the replicas the rest.
 */
export function pickWeighted(weightsPercent: readonly number[], random: number): number {
  let edge = 0;
  const r = random * 100;
  for (let i = 0; i < weightsPercent.length; i++) {
    edge += weightsPercent[i]!;
    if (r < edge) return i;
  }
  return -1;
}
