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
