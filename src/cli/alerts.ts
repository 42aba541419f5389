// `serve alerts` (cli): writes Prometheus alerting rules from a profile's targets (ops/ builds them),
// to stdout or atomically to --out; --json prints the same rules as data.
import path from 'node:path';
import type { Command } from 'commander';
import { DiskFullError, replaceFile } from '../common/atomic-write.js';
import { UserError } from '../common/errors.js';
import { loadProfile } from '../profile/load.js';
import { alertRules } from '../ops/alert-rules.js';
import { renderRuleFile } from '../ops/alert-yaml.js';
import { action } from './errors.js';
import { printJson } from './output.js';

interface AlertFlags {
  profile: string;
  out?: string;
  json?: boolean;
}

async function alerts(flags: AlertFlags): Promise<number> {
  const profile = await loadProfile(flags.profile);
  const set = alertRules(profile);
  if (flags.json) {
    printJson(set);
    return 0;
  }
  const text = renderRuleFile(set, `\`serve alerts --profile ${flags.profile}\``);
  if (flags.out === undefined) {
    process.stdout.write(text);
    return 0;
  }
  writeAtomically(flags.out, text);
  const rules = set.groups.reduce((n, g) => n + g.rules.length, 0);
  process.stderr.write(`wrote ${rules} alerting rules for profile ${profile.name} to ${flags.out}\n`);
  for (const s of set.skipped) process.stderr.write(`  ${s}\n`);
  return 0;
}

/** Replaces `file` atomically (replaceFile); a full disk says so, naming the folder. */
function writeAtomically(file: string, text: string): void {
  try {
    replaceFile(path.resolve(file), text);
  } catch (err) {
    if (err instanceof DiskFullError) throw err;
    throw new UserError(
      `--out ${file}: cannot write the file (` +
        `${(err as { code?: string }).code ?? 'error'}): check the folder exists and is writable`,
    );
  }
}

export function register(program: Command): void {
  program
    .command('alerts')
    .description(
      "Write Prometheus alerting rules from a profile's targets (latency, errors, " +
        'throughput, resources, health, crash loops, autoscaling, shedding).',
    )
    .requiredOption('--profile <name|file>', 'profile name (profiles/<name>.yaml or shipped) or path of a .yaml file')
    .option('--out <file>', 'write the rule file here (atomically) instead of stdout')
    .option('--json', 'print the rules as JSON instead of a rule file')
    .addHelpText(
      'after',
      `
Examples:
  $ serve alerts --profile market-hours --out ` +
        `/etc/prometheus/rules/serve.yml
  $ serve alerts --profile local | promtool ` +
        `check rules /dev/stdin

The rules select the labels of the service discovery ` +
        `file \`serve up\` writes in its state directory
(prometheus-targets.json): ` +
        `profile, component, replica.`,
    )
    .action(action((flags: AlertFlags) => alerts(flags)));
}
