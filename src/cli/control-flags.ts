// The flags of a data-plane process's control socket (cli): `--control-socket` and `--orphan-timeout`,
// shared by `serve replica` and `serve gateway` (common/control-socket.ts does the work).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { MAX_ORPHAN_TIMEOUT_MS } from '../common/data-plane/control-socket.js';

export interface ControlFlags {
  controlSocket?: string;
  orphanTimeout?: number;
}

export function addControlOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--control-socket <path>',
        'listen on this unix socket (mode 0600) for controllers: each connection gets a hello line, then ' +
          'every event, and its lines are control lines; stdin EOF and a closed stdout then stop nothing ' +
          '(what `serve up` starts local children with, so they outlive a dead controller)',
      ),
    )
    .addOption(
      new Option(
        '--orphan-timeout <ms>',
        'drain and exit once stdin is closed and no controller has been connected to the control socket ' +
          'for this long; 0 never',
      )
        .default(undefined, '0')
        .argParser(parseOrphanTimeout),
    );
}

/** The --help paragraph on the control socket (`role`: what its hello says). */
export function controlSocketHelp(role: 'replica' | 'gateway', extra = ''): string {
  return `With --control-socket PATH it also listens on that unix socket (mode 0600) for controllers: each
connection first gets {"event":"hello","role":"${role}","pid":N,"listening":{...}|null,"ready":{...}|null,
"draining":false${extra}} (what it is now), then every event; each line written there is a control
line, as on stdin. Stdin EOF and a closed stdout then stop nothing (a new controller reconnects);
--orphan-timeout MS drains it once stdin is closed and no controller has been connected for MS.
`;
}

/** The wrapper's options from the flags. */
export function controlOptions(flags: ControlFlags): { controlSocket?: string; orphanTimeoutMs: number } {
  return {
    ...(flags.controlSocket !== undefined ? { controlSocket: flags.controlSocket } : {}),
    orphanTimeoutMs: flags.orphanTimeout ?? 0,
  };
}

function parseOrphanTimeout(text: string): number {
  const ms = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(ms) || ms > MAX_ORPHAN_TIMEOUT_MS)
    throw new InvalidArgumentError(
      `expects a whole number of milliseconds from 0 (never) to ${MAX_ORPHAN_TIMEOUT_MS}, got "${text}"`,
    );
  return ms;
}
