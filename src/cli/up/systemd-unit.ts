// `serve up --print-systemd-unit` (cli, pure): a systemd service unit that runs this cluster's
// controller in the foreground on its state directory with Restart=always, so the system's
// supervisor starts it again when it dies. Rendering only: nothing is installed or started.
import path from 'node:path';

export interface UnitInput {
  /** The profile or schedule as `serve up` was given it (a name, or a path made absolute). */
  profileRef: string;
  /** Its name, for the description and the environment file. */
  name: string;
  /** Absolute state directory. */
  stateDir: string;
  /** Where the unit runs (`serve up`'s working directory: relative paths in the profile resolve from it). */
  workingDir: string;
  /** Node and the CLI entry this `serve` runs as. */
  nodePath: string;
  cliEntry: string;
  /** The profile's drain_timeout: systemd waits this long (plus a margin) for a clean stop. */
  drainTimeoutMs: number;
  registry?: string;
  oversubscribe?: boolean;
}

/** systemd's quoting of one ExecStart word: plain when it has no space, quote or backslash, else double-quoted. */
export function execWord(word: string): string {
  if (word !== '' && !/[\s"'\\$%;]/.test(word)) return word;
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$').replace(/%/g, '%%')}"`;
}

/** The unit's text. */
export function systemdUnit(u: UnitInput): string {
  const args = [
    u.nodePath,
    u.cliEntry,
    'up',
    '--profile',
    u.profileRef,
    '--state-dir',
    u.stateDir,
    // A controller that exits because too few replicas are ready would be restarted at once, again
    // and again: it stays up degraded instead, and `serve status` says what is missing.
    '--allow-degraded',
    ...(u.registry ? ['--registry', u.registry] : []),
    ...(u.oversubscribe ? ['--oversubscribe'] : []),
  ];
  const stopS = Math.ceil(u.drainTimeoutMs / 1000) + 15;
  const envFile = `/etc/serve/${u.name}.env`;
  return [
    `# serve cluster "${u.name}": written by \`serve up --print-systemd-unit\`.`,
    `# Install: save as /etc/systemd/system/serve-${u.name}.service, then`,
    `#   systemctl daemon-reload && systemctl enable --now serve-${u.name}`,
    `# Secrets the profile reads as \${VAR} go in ${envFile} (NAME=value lines, mode 0600).`,
    '[Unit]',
    `Description=serve cluster ${u.name} (model serving: controller, gateway and replicas)`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${u.workingDir}`,
    `EnvironmentFile=-${envFile}`,
    `ExecStart=${args.map(execWord).join(' ')}`,
    // The controller drains the gateway and replicas on SIGTERM. Only it is signalled: children that
    // outlive a controller which died stay in the cgroup for the restarted one to adopt.
    'KillMode=process',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${stopS}`,
    'Restart=always',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** The profile reference as the unit must give it: a path made absolute, a bare name kept. */
export function unitProfileRef(ref: string, cwd: string): string {
  const looksLikePath = ref.includes('/') || /\.ya?ml$/.test(ref);
  return looksLikePath ? path.resolve(cwd, ref) : ref;
}
