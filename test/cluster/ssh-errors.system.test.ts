// What goes wrong with SSH, against a real sshd: an unknown host key, a changed one, a refused
// user key and an unreachable address are each one clear line naming the host and the fix, exit
// 3, never a prompt or a hang; `serve hosts trust` shows the fingerprint and records it only when
// told to; `serve up` with an unknown key starts nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliEntry, repoRoot } from '../helpers/paths.js';
import { laps } from '../helpers/laps.js';
import { needSshLab, startSshLab, type SshLab } from '../helpers/ssh-lab.js';
import { processesMatching, tempWorld } from './helpers.js';

const CONNECT_TIMEOUT_S = 3;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI with stdin not a terminal (as in CI); bounded, so a prompt would show as a timeout. */
function serve(args: string[], cwd: string): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cliEntry, ...args],
      { cwd, timeout: 30_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        resolve({
          code: err ? ((err as { code?: number }).code ?? null) : 0,
          stdout,
          stderr,
          ms: Date.now() - started,
        });
      },
    );
    child.stdin?.end();
  });
}

function writeProfile(
  lab: SshLab,
  dir: string,
  registry: string,
  o: { knownHosts: string; identity: string; destination?: string; workdir?: string; connectTimeoutS?: number },
  name = 'p.yaml',
): string {
  const file = path.join(dir, name);
  const h = lab.hosts[0]!;
  writeFileSync(
    file,
    `model:
  name: demo
  version: 1
  registry: ${registry}
replicas:
  min: 1
resources:
  cpus: 0.1
  memory: 64MiB
gateway:
  port: 0
hosts:
  - name: h1
    ssh: ${o.destination ?? h.destination}
    workdir: ${o.workdir ?? repoRoot}
    node: ${process.execPath}
    registry: ${path.join(dir, 'h1-models')}
ssh:
  known_hosts: ${o.knownHosts}
  identity_file: ${o.identity}
  config_file: none
  connect_timeout: ${o.connectTimeoutS ?? CONNECT_TIMEOUT_S}s
  keepalive: 1s
`,
  );
  return file;
}

test('unknown, changed and refused keys and an unreachable address: one line naming host and fix, exit 3; trust records a key only when told', async (t) => {
  if (!needSshLab(t)) return;
  const lap = laps(t);
  const lab = await startSshLab(1);
  lap('sshd host');
  const w = tempWorld();
  t.after(() => {
    lab.cleanup();
    w.cleanup();
  });
  const host = lab.hosts[0]!;
  const emptyKnown = path.join(w.root, 'known_empty');
  writeFileSync(emptyKnown, '');
  const changedKnown = path.join(w.root, 'known_changed');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(w.root, 'other_host_key')]);
  writeFileSync(
    changedKnown,
    `${host.keyName} ${readFileSync(path.join(w.root, 'other_host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
  );
  const cases = [
    {
      name: 'unknown host key',
      o: { knownHosts: emptyKnown, identity: lab.userKey },
      want: /host h1 \(root@10\.231\.\d+\.2:2201\): its host key is not in .*known_empty.*run `serve hosts trust h1 --profile/,
    },
    {
      name: 'changed host key',
      o: { knownHosts: changedKnown, identity: lab.userKey },
      want: /host h1 .*: its host key has CHANGED since it was recorded in .*known_changed.*serve hosts trust h1/,
    },
    {
      name: 'refused user key',
      o: { knownHosts: lab.knownHosts, identity: lab.strangerKey },
      want: /host h1 .*: root was refused \(Permission denied \(publickey\)\): add the public key of ssh.identity_file \(.*stranger_key.pub\) to ~root\/.ssh\/authorized_keys/,
    },
    // A port nothing listens on: refused at once; see the cut host below for one that never answers.
    {
      name: 'unreachable address',
      o: { knownHosts: lab.knownHosts, identity: lab.userKey, destination: `ssh://root@${host.address}:1` },
      want: /host h1 \(root@10\.231\.\d+\.2:1\): cannot connect \(Connection refused\): check the host's ssh destination/,
    },
  ];
  // One at a time: each is bounded by the connect timeout, and a CLI start beside another would
  // count the other's CPU in its own time.
  const runs: Run[] = [];
  for (const [i, c] of cases.entries()) {
    const profile = writeProfile(lab, w.root, w.registry, c.o, `case-${i}.yaml`);
    runs.push(await serve(['hosts', 'check', '--profile', profile], w.root));
  }
  for (const [i, c] of cases.entries()) {
    const r = runs[i]!;
    assert.equal(r.code, 3, `${c.name}: exit code\n${r.stderr}`);
    assert.match(r.stderr, c.want, c.name);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${c.name}: one line\n${r.stderr}`);
    assert.ok(
      r.ms < CONNECT_TIMEOUT_S * 1000,
      `${c.name}: took ${r.ms} ms, the connect timeout is ${CONNECT_TIMEOUT_S}s`,
    );
    t.diagnostic(`${c.name}: ${r.ms} ms: ${r.stderr.trim()}`);
  }

  lap('four cases');

  // A host that never answers (hung: its kernel takes the connection, sshd says nothing): given up
  // at the connect timeout (1 s in this profile, so the wait is short); one whose packets vanish
  // fails at once.
  host.freeze();
  const hungProfile = writeProfile(lab, w.root, w.registry, {
    knownHosts: lab.knownHosts,
    identity: lab.userKey,
    connectTimeoutS: 1,
  });
  const hung = await serve(['hosts', 'check', '--profile', hungProfile], w.root);
  host.thaw();
  assert.equal(hung.code, 3, hung.stderr);
  assert.match(
    hung.stderr,
    /host h1 .*: cannot connect \((Connection timed out|timed out during banner)[^)]*\): check/,
  );
  assert.ok(hung.ms >= 1000 && hung.ms < 1000 + 1500, `a host that never answers took ${hung.ms} ms`);
  lap(`hung host: ${hung.ms} ms`);
  host.cut();
  const cut = await serve(['hosts', 'check', '--profile', hungProfile], w.root);
  host.restore();
  assert.equal(cut.code, 3, cut.stderr);
  assert.match(cut.stderr, /host h1 .*: cannot connect \(Invalid argument\): check/);

  // serve up with the unknown key: the same line, exit 3, nothing started, the state dir released.
  // trust without a terminal and without --yes runs beside it (it records nothing).
  const unknownProfile = writeProfile(lab, w.root, w.registry, { knownHosts: emptyKnown, identity: lab.userKey });
  const [up, trustNo] = await Promise.all([
    serve(['up', '--profile', unknownProfile, '--state-dir', w.stateDir], w.root),
    serve(['hosts', 'trust', 'h1', '--profile', unknownProfile], w.root),
  ]);
  assert.equal(up.code, 3, up.stderr);
  assert.match(up.stderr, /serve: error: host h1 .*its host key is not in .*serve hosts trust h1/);
  assert.ok(!existsSync(path.join(w.stateDir, 'serve.pid')), 'the state directory is released');
  assert.deepEqual(host.ourPids(), []);
  assert.deepEqual(processesMatching(`--state-dir ${w.stateDir}`), []);

  // trust without a terminal and without --yes: the fingerprint is shown, nothing is recorded.
  assert.equal(trustNo.code, 3, trustNo.stderr);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${host.hostKey}.pub`], { encoding: 'utf8' }).split(
    ' ',
  )[1]!;
  assert.ok(trustNo.stdout.includes(fingerprint), `shows ${fingerprint}:\n${trustNo.stdout}`);
  assert.match(
    trustNo.stderr,
    /host h1's key is not yet trusted and there is no terminal to confirm it: .*run `serve hosts trust h1 --yes/,
  );
  assert.equal(readFileSync(emptyKnown, 'utf8'), '');
  lap('up and trust without --yes');
  // With --yes it is recorded under [address]:port, and the host checks out. (Beside it, a changed
  // key's file is rewritten by --yes: checked at the end.)
  const changedProfile = writeProfile(
    lab,
    w.root,
    w.registry,
    { knownHosts: changedKnown, identity: lab.userKey },
    'changed.yaml',
  );
  const [trustYes, replace] = await Promise.all([
    serve(['hosts', 'trust', 'h1', '--profile', unknownProfile, '--yes'], w.root),
    serve(['hosts', 'trust', 'h1', '--profile', changedProfile, '--yes'], w.root),
  ]);
  assert.equal(trustYes.code, 0, trustYes.stderr);
  assert.ok(readFileSync(emptyKnown, 'utf8').startsWith(`${host.keyName} ssh-ed25519 `));
  lap('trust --yes (two)');
  // Reachable, but serve is not installed where the profile says: exit 2, from check and from up
  // (beside the check of the trusted host).
  const noServe = writeProfile(
    lab,
    w.root,
    w.registry,
    { knownHosts: emptyKnown, identity: lab.userKey, workdir: '/nonexistent/serve' },
    'no-serve.yaml',
  );
  const [check, checkNoServe, upNoServe] = await Promise.all([
    serve(['hosts', 'check', '--profile', unknownProfile, '--json'], w.root),
    serve(['hosts', 'check', '--profile', noServe], w.root),
    serve(['up', '--profile', noServe, '--state-dir', w.stateDir], w.root),
  ]);
  lap('check, and check and up without serve');
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const report = JSON.parse(check.stdout) as Array<{
    host: string;
    lines: Array<{ check: string; status: string; detail: string }>;
  }>;
  const status = Object.fromEntries(report[0]!.lines.map((l) => [l.check, l.status]));
  assert.deepEqual(status, {
    reachable: 'ok',
    'host key': 'ok',
    node: 'ok',
    serve: 'ok',
    capacity: 'ok',
    gpus: 'ok',
    cuda: 'skip',
    model: 'warn',
  });
  // Without serve at the workdir: exit 2, from check and from up.
  assert.equal(checkNoServe.code, 2, checkNoServe.stdout + checkNoServe.stderr);
  assert.match(
    checkNoServe.stdout,
    /serve\s+fail\s+workdir \/nonexistent\/serve does not exist: install serve there or set hosts\[\]\.workdir/,
  );
  assert.equal(upNoServe.code, 2, upNoServe.stderr);
  assert.match(
    upNoServe.stderr,
    /^serve: error: host h1: its workdir \/nonexistent\/serve does not exist: install serve there and set hosts\[\]\.workdir to its folder\n$/,
  );
  // A changed key: --yes replaced the old entry instead of adding one beside it.
  assert.equal(replace.code, 0, replace.stderr);
  assert.match(replace.stdout, /records a DIFFERENT key/);
  assert.equal(readFileSync(changedKnown, 'utf8').trim().split('\n').length, 1);
});
