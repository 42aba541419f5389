// Flags of the data-plane commands (cli), derived from the settings table: one flag per setting
// (`--batch-wait-ms 10`, `--no-batching`), checked by the setting's own rule, and merged with the
// settings a controller sends on stdin (`--settings-stdin`).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UserError } from '../common/errors.js';
import {
  checkSetting,
  flagOf,
  parseSettings,
  type SettingSpec,
  type SettingsTable,
} from '../common/settings/settings.js';

/** Adds one option per setting of `table` (no commander defaults: the table's apply after the merge). */
export function addSettingOptions(cmd: Command, table: SettingsTable): Command {
  for (const [name, spec] of Object.entries(table)) if (!spec.stdinOnly) cmd.addOption(optionOf(name, spec));
  return cmd.addOption(
    new Option(
      '--settings-stdin',
      'read the settings as the first stdin line, {"type":"settings","settings":{...}} ' + '(how `serve up` starts it)',
    ),
  );
}

function optionOf(name: string, spec: SettingSpec): Option {
  const flag = flagOf(name);
  const shown = spec.default === undefined ? undefined : String(spec.default);
  if (spec.kind === 'boolean') {
    // A setting that is on by default is turned off with --no-<name>.
    return spec.default === true ? new Option(`--no-${flag.slice(2)}`, spec.help) : new Option(flag, spec.help);
  }
  const o = new Option(
    `${flag} <${spec.kind === 'durationMs' ? 'ms' : spec.kind === 'bytes' ? 'bytes' : 'value'}>`,
    spec.help,
  );
  if (spec.choices) o.choices([...spec.choices]);
  if (shown !== undefined) o.default(undefined, shown);
  return o.argParser((text: string) => {
    try {
      return checkSetting(spec, text);
    } catch (err) {
      throw new InvalidArgumentError(`${(err as Error).message}.`);
    }
  });
}

/**
 * The settings given as flags (only those the user typed), overridden by the stdin settings, with
 * the table's defaults for the rest; a missing required one names its flag.
 */
export function settingsFromFlags<T extends SettingsTable>(
  cmd: Command,
  table: T,
  stdin: Record<string, unknown> | undefined,
): Record<keyof T, number | string | boolean> {
  const given: Record<string, unknown> = {};
  const flags = cmd.opts() as Record<string, unknown>;
  for (const name of Object.keys(table)) {
    if (!table[name]!.stdinOnly && cmd.getOptionValueSource(name) === 'cli') given[name] = flags[name];
  }
  for (const [name, spec] of Object.entries(table)) {
    if (spec.required && given[name] === undefined && stdin?.[name] === undefined) {
      throw new UserError(`${flagOf(name)} is required (${spec.help.replace(/\.$/, '')})`);
    }
  }
  try {
    return parseSettings(table, { ...given, ...stdin }, stdin ? 'the settings on stdin' : 'the flags');
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

/** The README's flag table of a data-plane command, rendered from its settings table (a test compares). */
export function renderSettingsFlagTable(table: SettingsTable): string {
  const rows = ['| Flag | Default | Profile field | Meaning |', '| --- | --- | --- | --- |'];
  for (const [name, spec] of Object.entries(table)) {
    if (spec.stdinOnly) continue;
    const flag = spec.kind === 'boolean' && spec.default === true ? `--no-${flagOf(name).slice(2)}` : flagOf(name);
    const arg =
      spec.kind === 'boolean'
        ? ''
        : spec.kind === 'durationMs'
          ? ' MS'
          : spec.kind === 'bytes'
            ? ' BYTES'
            : spec.choices
              ? ` ${spec.choices.join('\\|')}`
              : spec.kind === 'text'
                ? ' TEXT'
                : ' N';
    const dflt = spec.required
      ? '**required**'
      : spec.kind === 'boolean'
        ? spec.default
          ? 'on'
          : 'off'
        : spec.default === undefined
          ? 'none'
          : `\`${String(spec.default)}\``;
    rows.push(
      `| \`${flag}${arg}\` | ${dflt} | ` +
        `${spec.profilePath ? `\`${spec.profilePath}\`` : ''} | ` +
        `${spec.help.replace(/\|/g, '\\|')} |`,
    );
  }
  return rows.join('\n') + '\n';
}
