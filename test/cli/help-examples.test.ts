// Every example in a command's --help names flags that command has (a `--registry-dir` in
// `serve replica --help`, a flag that never existed, is how this test came about).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

/** The help text as `--help` prints it, the addHelpText('after', ...) examples included. */
function helpText(cmd: Command): string {
  let text = '';
  cmd.configureOutput({
    writeOut: (s) => {
      text += s;
    },
    writeErr: (s) => {
      text += s;
    },
  });
  cmd.outputHelp();
  return text;
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap((c) => allCommands(c))];
}

/** The command an example line runs: the deepest subcommand its leading words name. */
function commandOf(root: Command, words: string[]): { cmd: Command; rest: string[] } {
  let cmd = root;
  let i = 0;
  for (; i < words.length; i++) {
    const sub = cmd.commands.find((c) => c.name() === words[i] || c.aliases().includes(words[i]!));
    if (sub === undefined) break;
    cmd = sub;
  }
  return { cmd, rest: words.slice(i) };
}

function flagsOf(cmd: Command | null): Set<string> {
  const flags = new Set<string>(['--help']);
  for (let c: Command | null = cmd; c !== null; c = c.parent) {
    for (const o of c.options) if (o.long) flags.add(o.long);
  }
  return flags;
}

test('every --help example names only flags its command has', async () => {
  const program = await buildProgram();
  const wrong: string[] = [];
  let examples = 0;
  for (const cmd of allCommands(program)) {
    for (const line of helpText(cmd).split('\n')) {
      const m = /^\s*\$ serve (.*)$/.exec(line);
      if (m === null) continue;
      // Only the serve command itself: stop at a pipe, redirection, comment or another command.
      const words = m[1]!.split(/\s+/).filter(Boolean);
      const end = words.findIndex((w) => /^(\||>|>>|2>|&&|;|#)/.test(w));
      const own = end === -1 ? words : words.slice(0, end);
      const { cmd: runs, rest } = commandOf(program, own);
      examples++;
      const known = flagsOf(runs);
      for (const w of rest) {
        if (!w.startsWith('--')) continue;
        const flag = w.split('=')[0]!;
        if (!known.has(flag))
          wrong.push(
            `serve ${cmd.name()} --help: "${line.trim()}" uses ${flag}, which \`serve ${runs.name()}\` does not have`,
          );
      }
    }
  }
  assert.ok(examples > 20, `found ${examples} examples in the help texts`);
  assert.deepEqual(wrong, []);
});
