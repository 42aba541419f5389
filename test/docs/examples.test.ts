// Every `serve ...` command line in README.md and docs/ names a real command with real flags, parsed
// against the commander program itself, so no example can drift from the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildProgram } from '../../src/cli/program.js';
import { repoRoot } from '../helpers/paths.js';
import { checkCommandLine, commandLines } from './command-lines.js';

const program = await buildProgram();
const commandNames = program.commands.map((c) => c.name());

/** README.md, CONTRIBUTING.md and docs/**.md (docs/reference/cli.md carries every --help example); not docs/_* (notes, not pages). */
function pages(): string[] {
  const out = ['README.md', 'CONTRIBUTING.md'].map((f) => path.join(repoRoot, f)).filter((f) => existsSync(f));
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) {
        if (!name.startsWith('_')) walk(p);
      } else if (name.endsWith('.md')) {
        out.push(p);
      }
    }
  };
  if (existsSync(path.join(repoRoot, 'docs'))) walk(path.join(repoRoot, 'docs'));
  return out;
}

test('every serve command line in README.md and docs/ names a real command and real flags', () => {
  const lines = pages().flatMap((file) =>
    commandLines(readFileSync(file, 'utf8'), path.relative(repoRoot, file), commandNames),
  );
  assert.ok(lines.length >= 10, `only ${lines.length} serve command lines found: the extraction is broken`);
  const problems = lines.flatMap(({ file, line, text, inline }) => {
    const why = checkCommandLine(program, text, inline);
    return why === undefined ? [] : [`${file}:${line}: ${text}\n    ${why}`];
  });
  assert.deepEqual(
    problems,
    [],
    `${problems.length} example(s) do not parse with the real CLI; fix the page or the command:\n${problems.join('\n')}`,
  );
});

test('the checker accepts placeholders and synopses, and rejects drifted commands, flags and values', () => {
  const ok = [
    'serve up --profile <name|file> [--state-dir .serve] [--detach] [--json]',
    'serve bench --url http://127.0.0.1:8000 --rps 200 --json > bench.json   # CI',
    'node bin/serve.js bench --profile local --rps=200 2>&1 | tee out.txt',
    'serve rollout NAME@V --steps 10%,50%,100%',
    'serve model inspect NAME[@VERSION|@latest] [--registry DIR] [--json]',
    'serve export --profile P --to triton|kserve|ray --out DIR',
    'serve validate --schema              print the JSON Schema of profile files',
    'serve up --profile market-hours --detach  background; stop with `serve down`',
    'serve hosts check|trust --profile P',
    'serve gateway --port 8000 --exit-with-parent',
    'serve scale 3 --force',
    'serve bench ... --json',
    'serve help bench',
    'serve bench --help',
  ];
  for (const line of ok) assert.equal(checkCommandLine(program, line), undefined, line);
  const bad: Array<[string, RegExp]> = [
    ['serve deploy serve-config.yaml', /unknown command "deploy"/],
    ['serve bench --no-such-flag', /unknown option --no-such-flag for serve bench/],
    ['serve up --profile', /--profile of serve up needs a value/],
    ['serve export --profile P --to docker --out DIR', /does not take docker/],
    ['serve model frobnicate', /unknown command "frobnicate" of serve model/],
    ['serve scale', /needs 1 argument/],
    ['serve status extra words', /takes 0 argument/],
    ['serve down --json=yes', /takes no value|unknown option/],
  ];
  // In prose, `serve scale` and `serve bench --profile` name a command and a flag: no argument or value needed.
  for (const line of ['serve scale', 'serve bench --profile', 'serve model list/inspect'])
    assert.equal(checkCommandLine(program, line, true), undefined, line);
  assert.match(checkCommandLine(program, 'serve bench --no-such-flag', true) ?? 'accepted', /unknown option/);
  for (const [line, why] of bad) assert.match(checkCommandLine(program, line) ?? 'accepted', why, line);
});

test('command lines come from fenced blocks, transcripts, CI steps and inline code spans, not from prose or output', () => {
  const page = [
    'Run `serve up --profile local`, then `serve: error: something` is an error message and `serve` a word.',
    '| `serve hosts check\\|trust` | a table cell |',
    '```',
    '$ serve status',
    '       serve      ok      0.1.0, the same as here',
    '```',
    '```sh',
    "serve deploy serve-config.yaml   # Ray's CLI: a remote cluster",
    '```',
    '```yaml',
    '    - run: node bin/serve.js up --profile local --detach',
    '      run: |',
    '        CI=true node bin/serve.js bench --profile local \\',
    '          --json > bench.json',
    '```',
    'serve up in prose is not a command line.',
  ].join('\n');
  const found = commandLines(page, 'x.md', commandNames).map((l) => `${l.line}${l.inline ? ' inline' : ''}: ${l.text}`);
  assert.deepEqual(found, [
    '1 inline: serve up --profile local',
    '2 inline: serve hosts check|trust',
    '4: serve status',
    '11: node bin/serve.js up --profile local --detach',
    '13: node bin/serve.js bench --profile local  --json > bench.json',
  ]);
});
