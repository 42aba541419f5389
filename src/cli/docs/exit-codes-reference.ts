// docs/reference/exit-codes.md (cli docs): the exit codes and what each means, overall and per
// command, from common/exit-codes.ts.
import { ExitCode, exitCodeDocs } from '../../common/exit-codes.js';
import { code, pageHead, table } from './markdown.js';

export function renderExitCodesReference(): string {
  const names = Object.keys(ExitCode) as (keyof typeof ExitCode)[];
  const perCommand = names.flatMap((name) =>
    Object.entries(exitCodeDocs[name].byCommand ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([cmd, meaning]) => [String(ExitCode[name]), code(`serve ${cmd}`), meaning]),
  );
  return [
    pageHead('Exit codes', 'src/common/exit-codes.ts'),
    'Stable: CI depends on them, and they are never renumbered.\n',
    table(
      ['Code', 'Name', 'Meaning'],
      names.map((name) => [String(ExitCode[name]), code(name), exitCodeDocs[name].meaning]),
    ),
    '## By command\n',
    'Where a code means something more precise for one command:\n',
    table(['Code', 'Command', 'Meaning'], perCommand),
  ].join('\n');
}
