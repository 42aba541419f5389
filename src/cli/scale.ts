// `serve scale` (cli): sets the replica count of the running cluster through the admin socket.
import type { Command } from 'commander';
import { UserError } from '../common/errors.js';
import { AdminClient } from '../client/admin-client.js';
import type { ScaleResult } from '../common/cluster-status.js';
import { DEFAULT_STATE_DIR } from '../cluster/state/index.js';
import { action } from './errors.js';

export function register(program: Command): void {
  program
    .command('scale')
    .description(
      'Set and pin the number of replicas until `serve scale auto` (within the ' +
        "profile's min/max unless --force). Scale-down drains: no accepted request fails.",
    )
    .argument('<replicas|auto>', 'replica count, a whole number; or auto to let the autoscaler decide again')
    .option('--force', "allow a count outside the profile's min/max")
    .option('--state-dir <dir>', 'state directory of the cluster', DEFAULT_STATE_DIR)
    .addHelpText(
      'after',
      '\nExamples:\n  $ serve scale 3            pin 3 replicas\n  $ serve scale ' +
        'auto         the autoscaler decides again\n  $ serve scale 0 --force    stop ' +
        'every replica, keep the gateway',
    )
    .action(
      action(async (replicasText: string, opts: { force?: boolean; stateDir: string }) => {
        const client = new AdminClient(opts.stateDir);
        if (replicasText === 'auto') {
          if (opts.force) throw new UserError('--force goes with a replica count, not with auto');
          const r = (await client.request('POST', '/scale', { auto: true })) as ScaleResult;
          process.stdout.write(
            `autoscaling resumed from ${r.to} replica${r.to === 1 ? '' : 's'} (see \`serve status\`)\n`,
          );
          return;
        }
        if (!/^\d+$/.test(replicasText))
          throw new UserError(`replicas must be a whole number >= 0 or auto, got "${replicasText}"`);
        const n = Number(replicasText);
        const r = await client.scale(n, opts.force === true);
        process.stdout.write(
          `scaling from ${r.from} to ${r.to} replicas, pinned until \`serve scale auto\` ` + `(see \`serve status\`)\n`,
        );
        for (const p of r.pending) process.stdout.write(`  ${p.id} pending: ${p.reason}\n`);
      }),
    );
}
