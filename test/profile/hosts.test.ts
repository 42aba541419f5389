// The profile's `hosts` list and `ssh` section: values, defaults, and problems located at
// file:line:col with paths such as hosts[1].cpus, like every other field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProfile } from '../../src/profile/parse.js';
import { assertOneProblem, base, problemsOf } from './helpers.js';

const load = (text: string) => parseProfile(text, 'p.yaml', {}, '/work');

test('without hosts the profile has one host, this machine, named local; ssh has its defaults', () => {
  const p = load(base);
  assert.deepEqual(p.hosts, [{ name: 'local', node: 'node' }]);
  assert.deepEqual(p.ssh, {
    knownHostsFile: '~/.ssh/known_hosts',
    connectTimeoutMs: 5000,
    keepaliveMs: 5000,
    keepaliveCount: 3,
  });
  assert.equal(p.resources.gpuMemoryBytes, undefined);
});

test('hosts and ssh are read with units; auto leaves capacity to detection', () => {
  const p = load(`${base}resources:
  gpus: 0.5
  gpu_memory: 3GiB
hosts:
  - name: local
  - name: gpu-1
    ssh: ops@gpu-1.internal
    address: 10.0.0.5
    cpus: 16
    memory: 64GiB
    gpus: auto
    workdir: /opt/serve
    node: /usr/bin/node
ssh:
  known_hosts: /etc/serve/known_hosts
  identity_file: ~/.ssh/id_ed25519
  connect_timeout: 3s
  keepalive: 2s
  keepalive_count: 4
`);
  assert.deepEqual(p.hosts, [
    { name: 'local', node: 'node' },
    {
      name: 'gpu-1',
      ssh: 'ops@gpu-1.internal',
      address: '10.0.0.5',
      cpus: 16,
      memoryBytes: 64 * 1024 ** 3,
      workdir: '/opt/serve',
      node: '/usr/bin/node',
    },
  ]);
  assert.deepEqual(p.ssh, {
    knownHostsFile: '/etc/serve/known_hosts',
    identityFile: '~/.ssh/id_ed25519',
    connectTimeoutMs: 3000,
    keepaliveMs: 2000,
    keepaliveCount: 4,
  });
  assert.equal(p.resources.gpuMemoryBytes, 3 * 1024 ** 3);
});

test('a wrong value inside a host is located at its line and column with the item path', () => {
  assertOneProblem(
    `${base}hosts:\n  - name: a\n    ssh: a.example\n  - name: b\n    ssh: b.example\n    cpus: lots\n`,
    {
      line: 8,
      col: 11,
      path: 'hosts[1].cpus',
      message: /got "lots", expected "auto" or a number/,
    },
  );
});

test('an unknown key in a host suggests the near one', () => {
  assertOneProblem(`${base}hosts:\n  - name: a\n    ssh: a.example\n    work_dir: /opt\n`, {
    line: 6,
    col: 5,
    path: 'hosts[0].work_dir',
    message: /did you mean "workdir"/,
  });
});

test('a host without its name is reported at the item', () => {
  assertOneProblem(`${base}hosts:\n  - ssh: a.example\n`, {
    line: 4,
    col: 5,
    path: 'hosts[0].name',
    message: /is missing/,
  });
});

test('hosts must be a list of mappings', () => {
  assertOneProblem(`${base}hosts:\n  name: a\n`, {
    line: 4,
    col: 3,
    path: 'hosts',
    message: /got a mapping, expected a list of mappings/,
  });
  assertOneProblem(`${base}hosts: gpu-1\n`, {
    line: 3,
    col: 8,
    path: 'hosts',
    message: /got "gpu-1", expected a list/,
  });
});

test('host names are unique and only one host is this machine', () => {
  const problems = problemsOf(`${base}hosts:\n  - name: a\n  - name: a\n    ssh: x\n  - name: c\n`);
  assert.deepEqual(
    problems.map((p) => [p.path, p.line]),
    [
      ['hosts[1].name', 5],
      ['hosts[2]', 7],
    ],
  );
  assert.match(problems[0]!.message, /already the name of hosts\[0\]/);
  assert.match(problems[1]!.message, /only one host can be this machine/);
});

test('SSH-only fields on this machine, and capacity set twice, are problems', () => {
  const problems = problemsOf(`${base}local:\n  cpus: 4\nhosts:\n  - name: here\n    workdir: /opt\n    cpus: 2\n`);
  assert.deepEqual(
    problems.map((p) => p.path),
    ['hosts[0].workdir', 'hosts[0].cpus'],
  );
  assert.match(problems[0]!.message, /only for hosts reached over SSH/);
  assert.match(problems[1]!.message, /set here and in local.cpus/);
});

test('ssh durations below a second are refused (ssh counts whole seconds)', () => {
  assertOneProblem(`${base}ssh:\n  keepalive: 200ms\n`, {
    line: 4,
    col: 14,
    path: 'ssh.keepalive',
    message: /at least 1s/,
  });
});

test('problems in several hosts are all reported, with their positions', () => {
  const problems = problemsOf(
    `${base}hosts:\n  - name: a\n    ssh: x\n    gpus: -1\n  - name: b\n    ssh: y\n    memory: 0\n`,
  );
  assert.deepEqual(
    problems.map((p) => `${p.line}:${p.col} ${p.path}`),
    ['6:11 hosts[0].gpus', '9:13 hosts[1].memory'],
  );
});

test('${VAR} references work inside hosts, and a missing one is located in its item', () => {
  const p = parseProfile(
    `${base}hosts:\n  - name: a\n    ssh: \${GPU_HOST}\n    cpus: \${CPUS:-8}\n`,
    'p.yaml',
    { GPU_HOST: 'ops@10.0.0.7' },
    '/work',
  );
  assert.deepEqual(p.hosts, [{ name: 'a', ssh: 'ops@10.0.0.7', cpus: 8, node: 'node' }]);
  assertOneProblem(`${base}hosts:\n  - name: a\n    ssh: \${GPU_HOST}\n`, {
    line: 5,
    col: 10,
    path: 'hosts[0].ssh',
    message: /GPU_HOST/,
  });
});
