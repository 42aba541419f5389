// docs/reference/cli.md (cli docs): every command, argument and flag, walked from the commander
// program itself (program.ts), with each command's examples as `--help` prints them.
import { Help, type Argument, type Command, type Option } from 'commander';
import { code, pageHead, prose, table } from './markdown.js';

/** The page, from a program built with every command (buildProgram()). */
export function renderCliReference(program: Command): string {
  const all = commandsOf(program);
  const out: string[] = [
    pageHead('CLI reference', 'the commander program (src/cli/program.ts and one file per command)'),
  ];
  out.push(
    'Every command, its arguments and its flags. `serve <command> --help` prints the ' + 'same, with examples.\n',
  );
  out.push(
    'Commands marked *internal* are started by `serve up` and hidden from `serve ' +
      '--help`; they are listed for completeness.\n',
  );
  out.push(
    table(
      ['Command', 'What it does'],
      all.map(({ cmd, path, hidden }) => [
        `[${code(path)}](#${anchor(path)})`,
        summary(cmd) + (hidden ? ' *(internal)*' : ''),
      ]),
    ),
  );
  for (const entry of all) out.push(renderCommand(entry));
  return out.join('\n');
}

interface Entry {
  cmd: Command;
  /** "serve model demo" */
  path: string;
  hidden: boolean;
}

/** Every command depth first in definition order, the program itself first; commander's implicit `help` is left out. */
export function commandsOf(program: Command): Entry[] {
  const out: Entry[] = [];
  const walk = (cmd: Command, path: string, hidden: boolean) => {
    out.push({ cmd, path, hidden });
    const visible = new Set(new Help().visibleCommands(cmd));
    for (const sub of cmd.commands) walk(sub, `${path} ${sub.name()}`, hidden || !visible.has(sub));
  };
  walk(program, program.name(), false);
  return out;
}

function renderCommand({ cmd, path, hidden }: Entry): string {
  const help = new Help();
  const parts: string[] = [`## ${path}\n`];
  if (hidden) parts.push('*Internal: started by `serve up`; hidden from `--help`.*\n');
  parts.push('```\n' + `${path} ${cmd.usage()}` + '\n```\n');
  parts.push(prose(help.commandDescription(cmd).trim()) + '\n');
  const args = help.visibleArguments(cmd);
  if (args.length > 0)
    parts.push(
      table(
        ['Argument', 'Required', 'Description'],
        args.map((a) => [code(argTerm(a)), a.required ? 'yes' : 'no', argText(a)]),
      ),
    );
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length > 0)
    parts.push(
      table(
        ['Option', 'Default', 'Description'],
        options.map((o) => [code(o.flags), defaultOf(o), optionText(o)]),
      ),
    );
  const subs = help.visibleCommands(cmd).filter((s) => s.name() !== 'help');
  if (subs.length > 0)
    parts.push(
      'Subcommands: ' +
        subs.map((s) => `[${code(`${path} ${s.name()}`)}](#${anchor(`${path} ${s.name()}`)})`).join(', ') +
        '\n',
    );
  const examples = afterHelp(cmd);
  if (examples !== '') parts.push('```\n' + examples + '\n```\n');
  return parts.join('\n');
}

/** The description's first sentence, for the command table. */
function summary(cmd: Command): string {
  const d = cmd.description();
  const m = /^(.*?[.!?])(\s|$)/.exec(d);
  return m ? m[1]! : d;
}

function argTerm(a: Argument): string {
  const name = a.name() + (a.variadic ? '...' : '');
  return a.required ? `<${name}>` : `[${name}]`;
}

function argText(a: Argument): string {
  const extra = [
    a.argChoices ? `one of ${a.argChoices.join(', ')}` : '',
    a.defaultValue !== undefined ? `default ${JSON.stringify(a.defaultValue)}` : '',
  ].filter(Boolean);
  return [a.description, ...extra].filter(Boolean).join('; ');
}

function defaultOf(o: Option): string {
  if (o.defaultValueDescription !== undefined) return o.defaultValueDescription;
  if (o.defaultValue === undefined || o.negate) return '';
  return code(typeof o.defaultValue === 'string' ? o.defaultValue : JSON.stringify(o.defaultValue));
}

function optionText(o: Option): string {
  const extra = [
    o.argChoices ? `One of ${o.argChoices.map(code).join(', ')}.` : '',
    o.mandatory ? 'Required.' : '',
    o.envVar ? `Env: ${code(o.envVar)}.` : '',
  ].filter(Boolean);
  return [o.description, ...extra].filter(Boolean).join(' ');
}

/**
 * What the command adds after its help (its examples), captured from `outputHelp` at a fixed width
 * so the page does not depend on the terminal.
 */
function afterHelp(cmd: Command): string {
  let text = '';
  cmd.configureOutput({
    writeOut: (s) => {
      text += s;
    },
    getOutHelpWidth: () => 100,
    getOutHasColors: () => false,
  });
  const core = cmd.helpInformation();
  cmd.outputHelp();
  const i = text.indexOf(core);
  const after = i < 0 ? '' : text.slice(i + core.length);
  return after
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();
}

/** GitHub's heading anchor for "serve model demo". */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}
