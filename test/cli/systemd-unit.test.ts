// `serve up --print-systemd-unit`'s text (pure): Restart=always on the foreground controller, its
// state directory and profile as absolute paths, a stop that waits for the drain, and systemd's
// quoting of ExecStart words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execWord, systemdUnit, unitProfileRef } from '../../src/cli/up/systemd-unit.js';

const base = {
  profileRef: 'market-hours',
  name: 'market-hours',
  stateDir: '/var/lib/serve',
  workingDir: '/srv/desk',
  nodePath: '/usr/bin/node',
  cliEntry: '/opt/serve/bin/serve.js',
  drainTimeoutMs: 30_000,
};

test('the unit runs the controller in the foreground on its state directory and restarts it always', () => {
  const text = systemdUnit(base);
  const line = (key: string) => text.split('\n').find((l) => l.startsWith(`${key}=`));
  assert.equal(
    line('ExecStart'),
    'ExecStart=/usr/bin/node /opt/serve/bin/serve.js up --profile market-hours --state-dir /var/lib/serve --allow-degraded',
  );
  assert.equal(line('Restart'), 'Restart=always');
  assert.equal(line('WorkingDirectory'), 'WorkingDirectory=/srv/desk');
  assert.equal(line('KillMode'), 'KillMode=process');
  assert.equal(line('TimeoutStopSec'), 'TimeoutStopSec=45', 'the drain (30 s) and a margin');
  assert.equal(line('EnvironmentFile'), 'EnvironmentFile=-/etc/serve/market-hours.env');
  assert.match(text, /^\[Install\]\nWantedBy=multi-user\.target$/m);
  assert.doesNotMatch(text, /--detach/);
  const more = systemdUnit({ ...base, registry: '/srv/models', oversubscribe: true });
  assert.match(more, /--allow-degraded --registry \/srv\/models --oversubscribe$/m);
});

test('ExecStart words are quoted as systemd reads them; a profile path is made absolute, a name kept', () => {
  assert.equal(execWord('/plain/path'), '/plain/path');
  assert.equal(execWord('/my models/p.yaml'), '"/my models/p.yaml"');
  assert.equal(execWord('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(execWord('$HOME%i'), '"$$HOME%%i"', 'no variable or specifier expansion');
  assert.equal(unitProfileRef('./p.yaml', '/srv/desk'), '/srv/desk/p.yaml');
  assert.equal(unitProfileRef('profiles/x.yml', '/srv'), '/srv/profiles/x.yml');
  assert.equal(unitProfileRef('market-hours', '/srv/desk'), 'market-hours');
});
