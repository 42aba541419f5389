// `serve up --detach` (cli): starts the controller in the background, waits until it is ready, and
// turns a background controller that exited first into the error its up.log names.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ora from 'ora';
import { UserError } from '../../common/errors.js';
import { ExitCode, type ExitCodeValue } from '../../common/exit-codes.js';
import { DetachedCluster } from '../../client/detached-cluster.js';
import { silentFailureCause } from '../../client/up-output.js';
import { DEFAULT_STATE_DIR, checkSocketPath, runningPid, statePaths } from '../../cluster/state/index.js';
import { ensureModel } from '../ensure-model.js';
import { isTty, printJson } from '../output.js';
import { renderStatus } from '../status/render.js';
import { degradedWarning, shortOfMin } from './check.js';
import { loadForUp, type UpFlags } from './load.js';

/** The CLI entry of this very build, for re-spawning (dist/src/cli/up-detached.js -> dist/src/cli/main.js). */
const cliEntry = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'main.js');

export async function upDetached(flags: UpFlags): Promise<number> {
  const { profile } = await loadForUp(flags.profile);
  await ensureModel(flags.registry ?? profile.model.registry, profile, (line) => process.stderr.write(line + '\n'));
  const paths = statePaths(flags.stateDir);
  checkSocketPath(paths);
  const other = runningPid(paths);
  if (other !== undefined) {
    throw new UserError(
      `a cluster is already running in ${paths.dir} (pid ${other}): stop it with ` +
        `\`serve down --state-dir ${paths.dir}\` or use another --state-dir`,
    );
  }
  const args = ['up', '--profile', flags.profile, '--state-dir', paths.dir, '--detached-child'];
  if (flags.oversubscribe) args.push('--oversubscribe');
  if (flags.registry) args.push('--registry', path.resolve(flags.registry));
  const child = DetachedCluster.start(cliEntry, args, paths);
  const spinner =
    isTty() && (process.stdout.columns ?? 0) > 0 && !flags.json ? ora('starting in the background').start() : undefined;
  // No time limit: the controller's own startup timeouts end a start that cannot succeed.
  const status = await child.waitRunning();
  if (!status) {
    spinner?.fail('not started');
    const lines = child.output();
    // Not a word in up.log: a disk that filled up since the check could not take even the error.
    throw (lines.length === 0 && silentFailureCause(paths)) || detachedFailure(child.exitCode, lines, child.outputLog);
  }
  const down = `serve down` + `${flags.stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${flags.stateDir}`}`;
  const short = shortOfMin(status, { keptRunning: true, downCommand: down });
  if (short && !flags.allowDegraded)
    spinner?.fail(`${status.profile.name}: too few replicas ready (pid ${child.pid} keeps running)`);
  else spinner?.succeed(`${status.profile.name} is up (pid ${child.pid})`);
  if (flags.json) printJson(status);
  else process.stdout.write(`${renderStatus(status)}\nGateway: ${status.gatewayUrl}\nStop it with \`${down}\`.\n`);
  if (short && !flags.allowDegraded) throw short;
  if (short) process.stderr.write(degradedWarning(short));
  return ExitCode.Ok;
}

/** Exit codes of the background controller that mean the same for the one that started it. */
const PASSED_THROUGH: readonly number[] = [
  ExitCode.Usage,
  ExitCode.Unreachable,
  ExitCode.Internal,
  ExitCode.Interrupted,
];

/**
 * The error for a background controller that exited before it was ready, from what this run
 * wrote to up.log (earlier runs' errors are not in `lines`) and its exit code.
 */
export function detachedFailure(
  exitCode: number | null | undefined,
  lines: readonly string[],
  outputLog: string,
): UserError {
  const at = lines.findIndex((l) => /^serve: (internal )?error: /.test(l));
  const code =
    typeof exitCode === 'number' && PASSED_THROUGH.includes(exitCode) ? (exitCode as ExitCodeValue) : ExitCode.Usage;
  if (at < 0)
    return new UserError(`the background controller exited (code ${exitCode}); see ${outputLog}`, { exitCode: code });
  const details: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('  ')) break;
    details.push(l.slice(2));
  }
  const first = lines[at]!;
  const message = first.startsWith('serve: internal error: ')
    ? `the background controller failed: internal error: ` +
      `${first.slice('serve: internal error: '.length)} (see ${outputLog})`
    : first.slice('serve: error: '.length);
  return new UserError(message, { details, exitCode: code });
}
