// The end of a cluster's start (control plane): it is up once the gateway listens and every placed
// replica is ready or has failed; otherwise one UserError says why, naming each replica's reason.
import { UserError } from '../../common/errors.js';
import { ExitCode } from '../../common/exit-codes.js';
import type { Profile } from '../../profile/types.js';
import type { GatewayLink } from './gateway-link.js';
import type { Supervisor } from '../replicas/index.js';

/** Resolves once the cluster is up; throws a UserError when it cannot be, or `interrupted()` when stopped meanwhile. */
export async function waitClusterReady(
  gateway: GatewayLink,
  supervisor: Supervisor,
  profile: Profile,
  stopping: () => boolean,
): Promise<void> {
  const url = await gateway.listening();
  if (stopping()) throw interrupted();
  if (!url) {
    const why = gateway.failure ?? 'unknown reason';
    const hint = /EADDRINUSE|in use/.test(why)
      ? `: free port ${profile.gateway.port} or set gateway.port in the profile (0 ` + `picks a free one)`
      : ' (see `serve logs gateway`)';
    throw new UserError(`the gateway did not start: ${why}${hint}`);
  }
  await supervisor.whenSettled();
  if (stopping()) throw interrupted();
  const st = supervisor.status();
  if (st.length > 0 && !st.some((r) => r.state === 'ready')) {
    const reasons = st.map((r) => `${r.id}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
    const hint = st.some((r) => r.state === 'pending') ? ' or use --oversubscribe' : '';
    throw new UserError(`no replica became ready: ${reasons}. See \`serve logs\`${hint}`);
  }
}

/** The error of a start that Ctrl-C (or a stop) ended: exit code 130. */
export function interrupted(): UserError {
  return new UserError('interrupted while starting; everything started was stopped', {
    exitCode: ExitCode.Interrupted,
  });
}
