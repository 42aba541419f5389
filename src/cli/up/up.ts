// `serve up` (cli): loads a profile and runs the cluster in the foreground (Ctrl-C or `serve down`
// drains and stops it) or, with --detach (up-detached.ts), in the background.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import ora, { type Ora } from 'ora';
import { ExitCode } from '../../common/exit-codes.js';
import type { Profile } from '../../profile/types.js';
import { startCluster } from '../../cluster/controller/index.js';
import type { ClusterEvent } from '../../cluster/events.js';
import { captureOutput } from '../../cluster/state/index.js';
import { DEFAULT_STATE_DIR, statePaths } from '../../cluster/state/index.js';
import { action } from '../errors.js';
import { ensureModel } from '../ensure-model.js';
import { isTty, printJson } from '../output.js';
import { renderStatus } from '../status/render.js';
import { degradedWarning, shortOfMin } from './check.js';
import { upDetached } from './detached.js';
import { loadForUp, type UpFlags } from './load.js';
import { systemdUnit, unitProfileRef } from './systemd-unit.js';

export function register(program: Command): void {
  program
    .command('up')
    .description('Start a cluster from a profile: place and start replicas, supervise them, start the gateway.')
    .requiredOption(
      '--profile <name|file>',
      'profile or schedule name (profiles/<name>.yaml or shipped) or path of a .yaml file',
    )
    .option('--state-dir <dir>', 'state directory: pid file, admin socket, state.json, logs', DEFAULT_STATE_DIR)
    .option('--detach', 'run in the background; returns once the cluster is ready')
    .option('--oversubscribe', 'place replicas that do not fit the host anyway (with a warning)')
    .option(
      '--allow-degraded',
      'exit 0 even when fewer than replicas.min replicas are ready (they are listed as a warning)',
    )
    .option('--registry <dir>', "model registry folder (overrides the profile's model.registry)")
    .option('--json', 'print the status as JSON once ready')
    .option(
      '--print-systemd-unit',
      'print a systemd service unit that runs this cluster in the foreground with Restart=always, and exit',
    )
    .addOption(new Option('--detached-child', 'internal: the background half of --detach').hideHelp())
    .addHelpText(
      'after',
      `
Examples:
  $ serve up --profile local                  foreground; Ctrl-C ` +
        `drains and stops everything
  $ serve up --profile market-hours --detach  ` +
        `background; stop with \`serve down\`
  $ serve up --profile ` +
        `trading-day            a schedule: market-hours while the market is open, ` +
        `off-hours otherwise
  $ serve up --profile ./my.yaml --state-dir /tmp/a ` +
        `--oversubscribe
  $ serve up --profile market-hours --state-dir /var/lib/serve --print-systemd-unit \\
      > /etc/systemd/system/serve-market-hours.service

Once every replica that could be placed is ready or has ` +
        `failed, \`serve up\` checks that at least
replicas.min are ready. If fewer are, ` +
        `it lists what is not ready and why (pending: "needs 2 CPUs, 0
free on local") ` +
        `and the ways out (--oversubscribe, a hosts: section, a smaller profile), and ` +
        `exits 3:
with --detach what started keeps running for \`serve down\`; in the ` +
        `foreground it is stopped.
--allow-degraded prints the same as a warning and ` +
        `goes on. A replica whose device auto fell back to
the CPU is shown under the ` +
        `status table, as in \`serve status\`.

--print-systemd-unit prints a systemd unit (Restart=always, KillMode=process, --allow-degraded, the
state directory and profile as absolute paths, secrets from /etc/serve/NAME.env) and exits: the
system's supervisor then starts the controller again when it dies, and the restarted controller
adopts the gateway and replicas of this machine that served on meanwhile.

Exit codes: 0 up, 2 bad profile or ` +
        `flags, or no replica could start (the error says why), 3 fewer ` +
        `than
replicas.min replicas ready, 130 interrupted.`,
    )
    .action(
      action((flags: UpFlags) =>
        flags.printSystemdUnit ? printUnit(flags) : flags.detach ? upDetached(flags) : upForeground(flags),
      ),
    );
}

/** `--print-systemd-unit`: the profile is loaded and checked first, so a broken one never makes a unit. */
async function printUnit(flags: UpFlags): Promise<number> {
  const { profile, schedule } = await loadForUp(flags.profile);
  const cwd = process.cwd();
  process.stdout.write(
    systemdUnit({
      profileRef: unitProfileRef(flags.profile, cwd),
      name: schedule?.name ?? profile.name,
      stateDir: path.resolve(cwd, flags.stateDir),
      workingDir: cwd,
      nodePath: process.execPath,
      cliEntry: realpathSync(process.argv[1]!),
      drainTimeoutMs: profile.drainTimeoutMs,
      ...(flags.registry ? { registry: path.resolve(cwd, flags.registry) } : {}),
      ...(flags.oversubscribe ? { oversubscribe: true } : {}),
    }),
  );
  return ExitCode.Ok;
}

async function upForeground(flags: UpFlags): Promise<number> {
  // The background half: its output goes to up.log, whole lines, rotated like every log.
  if (flags.detachedChild) captureOutput(statePaths(flags.stateDir).logsDir);
  // Output redirected to a file on a full disk: losing a line is better than losing the cluster.
  else for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const { profile, schedule } = await loadForUp(flags.profile);
  await ensureModel(flags.registry ?? profile.model.registry, profile, (line) => process.stderr.write(line + '\n'));
  // A pseudo-terminal with no width (some CI runners) would make the spinner redraw endlessly.
  const interactive = isTty() && (process.stdout.columns ?? 0) > 0 && !flags.json && !flags.detachedChild;
  const what = schedule ? `${schedule.name} (${profile.name} now)` : profile.name;
  let spinner: Ora | undefined = interactive
    ? ora(`starting ${what}: ${profile.replicas.initial} replicas and the gateway`).start()
    : undefined;
  let ready = false;
  const onEvent = (e: ClusterEvent) => {
    const line =
      `${new Date().toISOString().slice(11, 19)} ` + `${e.level === 'info' ? '' : e.level + ': '}${e.message}`;
    const keep = e.kind === 'adoption'; // which children were adopted stays in the startup output
    if (spinner && !ready && e.level === 'info' && !keep) spinner.text = e.message;
    else if (spinner && !ready) (e.level === 'info' ? spinner.info(line) : spinner.warn(line)).start();
    else if (ready || e.level !== 'info' || keep) process.stderr.write(line + '\n');
  };
  const abort = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    // A second Ctrl-C gives up on draining: the controller exits at once; its children on this machine
    // serve on (they outlive it) until the next `serve up` adopts them, its SSH children stop with their session.
    if (signals > 1) process.exit(ExitCode.Interrupted);
    process.stderr.write('\ndraining and stopping (Ctrl-C again to stop at once)\n');
    abort.abort();
  };
  // SIGHUP (a closed terminal, or the habit of `kill -HUP` to reload) never stops the cluster.
  let gatewayPid: (() => number | undefined) | undefined;
  const onHup = () => {
    const e = controllerHup(profile, gatewayPid?.());
    process.stderr.write(
      `${new Date().toISOString().slice(11, 19)} ` + `${e.level === 'info' ? '' : e.level + ': '}${e.message}\n`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHup);
  try {
    const handle = await startCluster(profile, {
      stateDir: flags.stateDir,
      oversubscribe: flags.oversubscribe,
      registryOverride: flags.registry,
      onEvent,
      signal: abort.signal,
      schedule,
    });
    ready = true;
    gatewayPid = () => handle.status().gateway.pid;
    const status = handle.status();
    // The background half of --detach leaves this check to its starter, which keeps it running.
    const short = flags.detachedChild
      ? undefined
      : shortOfMin(status, { keptRunning: false, downCommand: 'serve down' });
    if (short && !flags.allowDegraded) {
      spinner?.fail(`${what}: too few replicas ready; stopping what started`);
      spinner = undefined;
      if (flags.json) printJson(status);
      else process.stdout.write(`${renderStatus(status)}\n`);
      await handle.stop();
      throw short;
    }
    spinner?.succeed(`${what} is up`);
    if (short) process.stderr.write(degradedWarning(short));
    if (flags.json) printJson(status);
    else
      process.stdout.write(
        `${renderStatus(status)}\nGateway: ${handle.gatewayUrl}\nCtrl-C (or \`serve ` + `down\`) drains and stops.\n`,
      );
    abort.signal.addEventListener('abort', () => void handle.stop(), { once: true });
    await handle.stopped;
    process.stderr.write('stopped\n');
    return ExitCode.Ok;
  } catch (err) {
    spinner?.fail('not started');
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHup);
  }
}

/**
 * What the controller does on SIGHUP: it reads its profile once, so the only thing to reload is the
 * gateway's TLS certificate, which it passes the signal on for (`kill -HUP` of serve.pid works).
 */
export function controllerHup(profile: Pick<Profile, 'gateway'>, gatewayPid: number | undefined): ClusterEvent {
  if (profile.gateway.tls === undefined || gatewayPid === undefined) {
    const why =
      gatewayPid === undefined
        ? 'the cluster is still starting'
        : 'no TLS certificate; a changed profile needs `serve down` and `serve up`';
    return { level: 'info', kind: 'controller', message: `SIGHUP: nothing to reload (${why})` };
  }
  try {
    process.kill(gatewayPid, 'SIGHUP');
    return {
      level: 'info',
      kind: 'controller',
      message: `SIGHUP: passed to the gateway (pid ${gatewayPid}) to reload its TLS certificate`,
    };
  } catch (err) {
    return {
      level: 'warn',
      kind: 'controller',
      message:
        `SIGHUP: could not pass it to the gateway (pid ${gatewayPid}): ` +
        `${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    };
  }
}
