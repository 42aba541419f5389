// `serve restart` (cli): a planned restart of a part of the running cluster through the admin socket.
// Today the gateway: a new serving process on the same listening socket (the socket holder keeps it),
// which takes over before the old one stops; no connection is refused and no request fails.
import type { Command } from 'commander';
import { UserError } from '../common/errors.js';
import { AdminClient } from '../client/admin-client.js';
import { DEFAULT_STATE_DIR } from '../cluster/state/index.js';
import { action } from './errors.js';

/** Longer than the controller's own wait for the new gateway process. */
const RESTART_CLIENT_TIMEOUT_MS = 40_000;

export function register(program: Command): void {
  program
    .command('restart')
    .description(
      'Restart the gateway without a refused connection or a failed request: a new gateway process ' +
        'starts on the same listening socket (with the settings in force) and takes over before the old ' +
        'one finishes what it has and exits.',
    )
    .argument('<part>', 'what to restart: gateway')
    .option('--state-dir <dir>', 'state directory of the cluster', DEFAULT_STATE_DIR)
    .addHelpText('after', '\nExample:\n  $ serve restart gateway    a new gateway process, pid in `serve status`')
    .action(
      action(async (part: string, opts: { stateDir: string }) => {
        if (part !== 'gateway') throw new UserError(`cannot restart "${part}": only gateway`);
        const r = await new AdminClient(opts.stateDir, RESTART_CLIENT_TIMEOUT_MS).restartGateway();
        process.stdout.write(
          `gateway restarted: pid ${r.toPid} serves${r.fromPid !== undefined ? ` (was ${r.fromPid})` : ''}` +
            `${r.holderPid !== undefined ? `, on the socket held by pid ${r.holderPid}` : ''}\n`,
        );
      }),
    );
}
