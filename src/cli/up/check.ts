// Whether a cluster `serve up` started is short of replicas.min (cli, pure): the error it exits 3
// with (or the warning --allow-degraded prints), naming what is not ready, why, and the ways out.
import { UnreachableError } from '../../common/errors.js';
import type { ClusterStatus } from '../../common/cluster-status.js';

/**
 * Undefined when at least replicas.min replicas are ready; otherwise the error, for a cluster left
 * running (`keptRunning`: --detach, stopped with `downCommand`) or stopped (the foreground).
 */
export function shortOfMin(
  s: ClusterStatus,
  o: { keptRunning: boolean; downCommand: string },
): UnreachableError | undefined {
  const min = s.autoscaling.minReplicas;
  const ready = s.replicas.filter((r) => r.state === 'ready').length;
  if (ready >= min) return undefined;
  const details = s.replicas
    .filter((r) => r.state !== 'ready')
    .map((r) => `${r.id} ${r.state}${r.reason ? `: ${r.reason}` : ''}`);
  if (s.replicas.some((r) => r.state === 'pending')) {
    details.push(
      'ways out: --oversubscribe (start them anyway, sharing this host), a `hosts:` ' +
        'section in the profile (more machines), or a smaller profile (e.g. --profile local)',
    );
  }
  details.push(
    o.keptRunning
      ? `what started keeps running: stop it with \`${o.downCommand}\`; ` +
          `--allow-degraded accepts such a start (exit 0)`
      : 'everything started was stopped; --allow-degraded keeps serving with fewer replicas',
  );
  return new UnreachableError(
    `only ${ready} of ${min} replicas ready (replicas.min of profile "` + `${s.profile.name}" is ${min})`,
    { details },
  );
}

/** The same, as the warning lines --allow-degraded prints on stderr. */
export function degradedWarning(err: UnreachableError): string {
  return (
    `serve: warning: ${err.message}\n` +
    `${err.details
      .slice(0, -1)
      .map((d) => `  ${d}\n`)
      .join('')}`
  );
}
