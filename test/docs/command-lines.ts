// Finds the `serve ...` command lines of Markdown pages and checks each against the real commander
// program: the command path exists, every flag is one of that command's, flag values are given and,
// where a flag has fixed choices, written ones are among them. Placeholders (NAME@V, <file>, P, ...)
// pass as values and arguments. Nothing is run: the tree is walked by name.
import { Help, type Command, type Option } from 'commander';

/** One command line found in a page. */
export interface CommandLine {
  file: string;
  line: number;
  text: string;
  /** An inline code span: a reference to a command in prose (`serve scale`, `serve bench --profile`), not a whole invocation. */
  inline: boolean;
}

const serveStart = /^(?:serve|node bin\/serve\.js)(?:\s|$)/;

/**
 * The command lines of a Markdown page: lines of fenced blocks, and inline `serve ...` code spans
 * whose second word is one of `commandNames` (the program's top-level commands) or a flag.
 */
export function commandLines(markdown: string, file: string, commandNames: readonly string[]): CommandLine[] {
  const out: CommandLine[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^\s*(```+|~~~+)/.exec(lines[i]!);
    if (fence) {
      const end = lines.findIndex((l, j) => j > i && l.trim().startsWith(fence[1]!));
      const last = end < 0 ? lines.length : end;
      out.push(...blockLines(lines.slice(i + 1, last), i + 2, file));
      i = last;
      continue;
    }
    for (const m of lines[i]!.matchAll(/`([^`]+)`/g)) {
      const text = m[1]!.replace(/\\\|/g, '|').trim();
      if (serveStart.test(text) && inlineLooksLikeCommand(text, commandNames))
        out.push({ file, line: i + 1, text, inline: true });
    }
  }
  return out;
}

/** A fenced block's command lines. In a transcript (some lines start with `$ `) only those count. */
function blockLines(block: string[], firstLine: number, file: string): CommandLine[] {
  const transcript = block.some((l) => /^\s*\$ /.test(l));
  const out: CommandLine[] = [];
  for (let j = 0; j < block.length; j++) {
    const at = j;
    let text = block[j]!;
    while (text.endsWith('\\') && j + 1 < block.length) text = text.slice(0, -1) + ' ' + block[++j]!.trim();
    let s = text.trim();
    if (transcript && !s.startsWith('$ ')) continue;
    s = s
      .replace(/^\$ /, '')
      .replace(/^- /, '')
      .replace(/^run:\s*/, '');
    while (/^[A-Za-z_][A-Za-z0-9_]*=\S*\s+/.test(s)) s = s.replace(/^[A-Za-z_][A-Za-z0-9_]*=\S*\s+/, '');
    // Ray Serve's CLI is also called `serve`; a page marks its lines with a comment saying so.
    if (/#.*\bRay(?: Serve)?'s CLI\b/i.test(s)) continue;
    if (serveStart.test(s)) out.push({ file, line: firstLine + at, text: s, inline: false });
  }
  return out;
}

/** An inline span is checked only when its second word is a command or a flag, so prose quoting `serve` alone is not. */
function inlineLooksLikeCommand(text: string, commandNames: readonly string[]): boolean {
  const second = words(text)[1];
  return (
    second !== undefined && (second.startsWith('-') || commandNames.some((name) => second.split('|').includes(name)))
  );
}

/** Shell-like words of one command: quotes and backslashes honoured, a `# comment` or a two-column description dropped. */
export function words(text: string): string[] {
  // "serve validate --schema      print the JSON Schema": a description after a wide gap, as in --help.
  const gap = /\s{2,}(?=[^\s\-<[#])/.exec(text);
  if (gap) text = text.slice(0, gap.index);
  const out: string[] = [];
  let cur: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else cur = (cur ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur ??= '';
    } else if (c === '\\' && i + 1 < text.length) {
      cur = (cur ?? '') + text[++i];
    } else if (/\s/.test(c)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else if (c === '#' && cur === undefined) {
      break;
    } else {
      cur = (cur ?? '') + c;
    }
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

/** The words of the first command of a line: up to a standalone pipe or list operator, redirections removed. */
function commandWords(text: string): string[] {
  const all = words(text);
  const out: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const w = all[i]!;
    if (['|', '||', '&&', ';', '&'].includes(w)) break;
    if (w === '<' || /^(\d*>>?|&>)$/.test(w)) {
      i++;
      continue;
    }
    if (/^(\d*>>?|&>)\S/.test(w) && !/^<.*>$/.test(w)) continue;
    out.push(unbracket(w));
  }
  return out;
}

/** "[--json]" → "--json", "NAME[@VERSION]]" → "NAME[@VERSION]": optional parts of a synopsis. */
function unbracket(w: string): string {
  let s = w.replace(/^\[+/, '');
  const count = (ch: string) => s.split(ch).length - 1;
  while (s.endsWith(']') && count(']') > count('[')) s = s.slice(0, -1);
  return s;
}

/** A value written literally (checked against choices), not a placeholder such as NAME, <file>, P or a|b. */
function isLiteral(value: string): boolean {
  return /^[a-z0-9][a-z0-9._-]*$/.test(value);
}

function findOption(cmd: Command, name: string): Option | 'help' | undefined {
  if (name === '-h' || name === '--help') return 'help';
  return cmd.options.find((o) => o.long === name || o.short === name || (o.negate && o.long === name));
}

/**
 * Undefined when `line` names a real command with real flags; else what is wrong, in one line. A
 * `reference` (an inline span in prose) may leave out required arguments and a last flag's value.
 */
export function checkCommandLine(program: Command, line: string, reference = false): string | undefined {
  const tokens = commandWords(line);
  tokens.splice(0, tokens[0] === 'node' ? 2 : 1);
  let cmd = program;
  const path = ['serve'];
  const operands: string[] = [];
  let loose = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    // "..." elides, and commander's own usage lines say [options] and [command].
    if (t === '...' || t === '…' || t === 'options' || t === 'command') {
      loose = true;
      continue;
    }
    if (t === '--') break;
    if (t.startsWith('-') && t.length > 1) {
      const eq = t.indexOf('=');
      const name = eq > 0 ? t.slice(0, eq) : t;
      const opt = findOption(cmd, name);
      if (opt === 'help') return undefined;
      if (opt === undefined) return `unknown option ${name} for ${path.join(' ')}`;
      if (opt.required || opt.optional) {
        let value = eq > 0 ? t.slice(eq + 1) : undefined;
        if (value === undefined && (opt.required || (tokens[i + 1] !== undefined && !tokens[i + 1]!.startsWith('-'))))
          value = tokens[++i];
        if (value === undefined && opt.required && !(reference && i >= tokens.length - 1))
          return `${name} of ${path.join(' ')} needs a value`;
        const bad =
          value === undefined || !opt.argChoices
            ? []
            : value.split('|').filter((v) => isLiteral(v) && !opt.argChoices!.includes(v));
        if (bad.length > 0)
          return `${name} of ${path.join(' ')} does not take ${bad.join(', ')} (one of ${opt.argChoices!.join(', ')})`;
      } else if (eq > 0) {
        return `${name} of ${path.join(' ')} takes no value`;
      }
      continue;
    }
    if (operands.length === 0 && cmd.commands.length > 0) {
      if (t === 'help') return undefined;
      const subs = t
        .split(/[|/]/)
        .map((alt) => cmd.commands.find((c) => c.name() === alt || c.aliases().includes(alt)));
      if (subs.every((s) => s !== undefined)) {
        cmd = subs[0]!;
        path.push(t);
        continue;
      }
      if (cmd.registeredArguments.length === 0) {
        const names = new Help()
          .visibleCommands(cmd)
          .map((c) => c.name())
          .filter((n) => n !== 'help');
        return `unknown command "${t}" of ${path.join(' ')} (it has ${names.join(', ')})`;
      }
    }
    operands.push(t);
  }
  return checkOperands(cmd, path.join(' '), operands, loose || reference);
}

function checkOperands(cmd: Command, path: string, operands: string[], loose: boolean): string | undefined {
  const args = cmd.registeredArguments;
  const required = args.filter((a) => a.required).length;
  if (!loose && operands.length < required && cmd.commands.length === 0)
    return `${path} needs ${required} argument(s), got ${operands.length}`;
  const variadic = args.at(-1)?.variadic ?? false;
  const excessAllowed = (cmd as unknown as { _allowExcessArguments?: boolean })._allowExcessArguments ?? false;
  if (!variadic && !excessAllowed && operands.length > args.length)
    return `${path} takes ${args.length} argument(s), got ${operands.length}: ${operands.join(' ')}`;
  for (let k = 0; k < Math.min(operands.length, args.length); k++) {
    const a = args[k]!;
    const bad = a.argChoices ? operands[k]!.split('|').filter((v) => isLiteral(v) && !a.argChoices!.includes(v)) : [];
    if (bad.length > 0)
      return `argument ${a.name()} of ${path} does not take ${bad.join(', ')} (one of ${a.argChoices!.join(', ')})`;
  }
  return undefined;
}
