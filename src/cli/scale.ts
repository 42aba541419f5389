// `serve scale` (cli): sets the replica count of the running cluster through the admin socket.
import type { Command } from 'commander';
import { UserError } from '../common/errors.js';
import { AdminClient } from '../client/admin-client.js';
import { DEFAULT_STATE_DIR } from '../cluster/state-dir.js';
import { action } from './errors.js';

export function register(program: Command): void {
  program
    .command('scale')
    .description("Set the number of replicas (within the profile's min/max unless --force). Scale-down drains: no accepted request fails.")
    .argument('<replicas>', 'replica count, a whole number')
    .option('--force', "allow a count outside the profile's min/max (pauses autoscaling)")
    .option('--state-dir <dir>', 'state directory of the cluster', DEFAULT_STATE_DIR)
    .addHelpText('after', '\nExamples:\n  $ serve scale 3\n  $ serve scale 0 --force     stop every replica, keep the gateway')
    .action(
      action(async (replicasText: string, opts: { force?: boolean; stateDir: string }) => {
        if (!/^\d+$/.test(replicasText)) throw new UserError(`replicas must be a whole number >= 0, got "${replicasText}"`);
        const n = Number(replicasText);
        const r = await new AdminClient(opts.stateDir).scale(n, opts.force === true);
        process.stdout.write(`scaling from ${r.from} to ${r.to} replicas (see \`serve status\`)\n`);
        for (const p of r.pending) process.stdout.write(`  ${p.id} pending: ${p.reason}\n`);
      }),
    );
}
