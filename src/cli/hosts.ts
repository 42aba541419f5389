// `serve hosts check|trust` (cli): checks every host of a profile before `serve up`, and records a
// host's SSH key after showing its fingerprint. Never a prompt without a terminal, never a hang.
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { UnreachableError, UserError, errorMessage } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { readClusterState } from '../client/cluster-state.js';
import { DEFAULT_STATE_DIR } from '../cluster/state/index.js';
import { checkHosts, type HostReport } from '../cluster/hosts/index.js';
import { acceptHostKeys, offerHostKeys, type TrustOffer } from '../cluster/hosts/index.js';
import { describeTarget } from '../cluster/hosts/index.js';
import { loadProfile } from '../profile/load.js';
import type { Profile } from '../profile/types.js';
import { action } from './errors.js';
import { printJson } from './output.js';
import { compactTable } from './table.js';

interface CheckFlags {
  profile?: string;
  stateDir: string;
  registry?: string;
  json?: boolean;
}

interface TrustFlags {
  profile?: string;
  stateDir: string;
  yes?: boolean;
}

export function register(program: Command): void {
  const hosts = program.command('hosts').description('Check the hosts of a profile, and trust their SSH keys.');
  hosts
    .command('check')
    .description(
      'For each host: reachable, host key known, Node.js and serve versions, CPUs, ' +
        'memory, GPUs, CUDA provider, model present.',
    )
    .option('--profile <name|file>', "profile whose hosts to check (default: the running cluster's)")
    .option(
      '--state-dir <dir>',
      'state directory of the running cluster (when --profile is not given)',
      DEFAULT_STATE_DIR,
    )
    .option('--registry <dir>', "model registry here (overrides the profile's model.registry)")
    .option('--json', 'print the reports as JSON')
    .addHelpText(
      'after',
      `
Exit codes: 0 every host is fine, 2 a host is reachable but cannot run this ` +
        `serve (version, Node.js, workdir,
CUDA provider, model), 3 a host cannot be ` +
        `reached (unknown or changed host key, refused key, no answer).

Examples:
  $ ` +
        `serve hosts check --profile prod
  $ serve hosts check --profile prod --json`,
    )
    .action(action((flags: CheckFlags) => runCheck(flags)));
  hosts
    .command('trust')
    .argument('<host>', 'the host name in the profile')
    .description("Show a host's SSH key fingerprints and record them in the profile's known_hosts once confirmed.")
    .option('--profile <name|file>', "profile that lists the host (default: the running cluster's)")
    .option(
      '--state-dir <dir>',
      'state directory of the running cluster (when --profile is not given)',
      DEFAULT_STATE_DIR,
    )
    .option('--yes', 'record without asking (for scripts: compare the fingerprint out of band first)')
    .addHelpText(
      'after',
      `
Without --yes it asks only on a terminal; otherwise an unknown or changed key ` +
        `is an error (exit 3).

Examples:
  $ serve hosts trust gpu-1 --profile prod
  $ ` +
        `serve hosts trust gpu-1 --profile prod --yes`,
    )
    .action(action((host: string, flags: TrustFlags) => runTrust(host, flags)));
}

async function profileOf(flags: { profile?: string; stateDir: string }): Promise<Profile> {
  if (flags.profile !== undefined) return loadProfile(flags.profile);
  let path: string;
  try {
    path = readClusterState(flags.stateDir).profilePath;
  } catch {
    throw new UserError('serve hosts needs a profile: pass --profile NAME (or run it beside a running cluster)');
  }
  if (!path) throw new UserError('the running cluster was started from a profile built in code: pass --profile NAME');
  return loadProfile(path);
}

function trustCommand(profile: Profile, flags: { profile?: string }) {
  return (host: string) =>
    `serve hosts trust ${host}` +
    `${flags.profile ? ` --profile ${flags.profile}` : profile.sourcePath ? ` --profile ${profile.sourcePath}` : ''}`;
}

async function runCheck(flags: CheckFlags): Promise<number> {
  const profile = await profileOf(flags);
  const reports = await checkHosts(profile, {
    registry: flags.registry ?? profile.model.registry,
    trustCommand: trustCommand(profile, flags),
  });
  if (flags.json) printJson(reports);
  else process.stdout.write(renderReports(reports) + '\n');
  if (reports.some((r) => r.unreachable)) {
    if (!flags.json)
      for (const r of reports.filter((x) => x.unreachable))
        process.stderr.write(`serve: error: ${r.lines[0]!.detail}\n`);
    return ExitCode.Unreachable;
  }
  return reports.some((r) => r.lines.some((l) => l.status === 'fail')) ? ExitCode.Usage : ExitCode.Ok;
}

/** One table: a row per check of each host. */
export function renderReports(reports: readonly HostReport[]): string {
  const rows = reports.flatMap((r) => r.lines.map((l, i) => [i === 0 ? r.host : '', l.check, l.status, l.detail]));
  return compactTable(['host', 'check', 'result', 'detail'], rows, 240);
}

async function runTrust(host: string, flags: TrustFlags): Promise<number> {
  const profile = await profileOf(flags);
  let offer: TrustOffer;
  try {
    offer = await offerHostKeys(profile, host);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UnreachableError(
      `host ${host}: ${errorMessage(err)}: check that the host is up and its sshd ` + `reachable from here`,
    );
  }
  const where = `${offer.keyName} (${describeTarget(offer.target)})`;
  process.stdout.write(`Host ${host} at ${where} offers:\n` + `${offer.offered.map((f) => `  ${f}`).join('\n')}\n`);
  if (offer.state === 'same') {
    process.stdout.write(`Already recorded in ${offer.knownHostsFile}: nothing to do.\n`);
    return ExitCode.Ok;
  }
  if (offer.state === 'changed') {
    process.stdout.write(
      `WARNING: ${offer.knownHostsFile} records a DIFFERENT key for it:\n` +
        `${offer.recorded.map((f) => `  ${f}`).join('\n')}\n` +
        'A reinstalled host, or someone in between: compare the new fingerprint with the ' +
        "host's owner before you accept it.\n",
    );
  }
  const confirmed = flags.yes
    ? true
    : await confirm(
        `Record ${offer.state === 'changed' ? 'the NEW key' : 'this key'} for ${host} ` +
          `in ${offer.knownHostsFile}? [y/N] `,
      );
  if (confirmed === undefined) {
    throw new UnreachableError(
      `host ${host}'s key is ` +
        `${offer.state === 'changed' ? 'CHANGED' : 'not yet trusted'} and there is no ` +
        `terminal to confirm it: ` +
        `compare the fingerprint above with the host's own (ssh-keygen -lf ` +
        `/etc/ssh/ssh_host_ed25519_key.pub there), then run \`serve hosts trust ${host} ` +
        `--yes${flags.profile ? ` --profile ${flags.profile}` : ''}\``,
    );
  }
  if (!confirmed) {
    process.stdout.write('Not recorded.\n');
    return ExitCode.Unreachable;
  }
  await acceptHostKeys(offer);
  process.stdout.write(`Recorded ${offer.lines.length} key(s) for ${offer.keyName} in ` + `${offer.knownHostsFile}.\n`);
  return ExitCode.Ok;
}

/** Asks on the terminal; undefined when stdin or stdout is not one (never a prompt then). */
async function confirm(question: string): Promise<boolean | undefined> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
