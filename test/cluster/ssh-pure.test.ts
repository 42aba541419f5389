// The pure parts of SSH hosts: shell quoting (checked by a real sh), what ssh -G says, the
// known_hosts name, the options every ssh gets, the control socket's length, ssh's failures as
// one line each, nvidia-smi's CSV, a host's facts, and the remote wrapper's marks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseFacts, nodeAtLeast } from '../../src/cluster/hosts/facts.js';
import { parseNvidiaSmi } from '../../src/cluster/hosts/gpus.js';
import { shellCommand, shellQuote } from '../../src/cluster/hosts/shell-quote.js';
import { classifySshFailure, type FailureContext } from '../../src/cluster/hosts/ssh-errors.js';
import { controlPathOf, sshArgs, type SshConfig } from '../../src/cluster/hosts/ssh-options.js';
import { knownHostsName, parseSshConfigDump } from '../../src/cluster/hosts/ssh-target.js';
import { parseRemoteMark, remoteCommand, statusOf } from '../../src/cluster/launchers/remote-command.js';
import { upstreamRequestHeaders } from '../../src/gateway/headers.js';
import { parseControl } from '../../src/gateway/control.js';

const weird = [
  'plain',
  'with space',
  "it's",
  '$(touch /tmp/pwned)',
  '`id`',
  'a"b',
  'back\\slash',
  'semi;colon',
  '',
  '*',
  'new\nline',
  '-n',
];

test('every argument survives the host shell exactly, whatever it holds', () => {
  const r = spawnSync('sh', ['-c', `printf '%s\\0' ${shellCommand(weird)}`], { encoding: 'utf8' });
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), weird);
  assert.equal(shellQuote('/opt/serve/bin/serve.js'), '/opt/serve/bin/serve.js');
});

test('the remote wrapper runs the command in its folder with its environment, and reports pid and status', () => {
  const cmd = remoteCommand({
    workdir: '/tmp',
    env: { CUDA_VISIBLE_DEVICES: '0,1' },
    command: 'sh',
    args: ['-c', 'printf "%s|%s|%s" "$PWD" "$CUDA_VISIBLE_DEVICES" "$1"; exit 3', 'x', "it's $(id)"],
  });
  // What sshd does: the login shell runs the command line.
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  assert.equal(r.stdout, "/tmp|0,1|it's $(id)");
  const marks = r.stderr.split('\n').map(parseRemoteMark).filter(Boolean);
  assert.equal(marks.length, 2);
  assert.ok('pid' in marks[0]! && marks[0].pid > 0);
  assert.deepEqual(marks[1], { exit: 3 });
  assert.equal(r.status, 3);
  assert.deepEqual(statusOf(143), { code: null, signal: 'SIGTERM' });
  assert.deepEqual(statusOf(2), { code: 2, signal: null });
  assert.equal(parseRemoteMark('@serve-remote exit=x'), undefined);
  assert.throws(
    () => remoteCommand({ workdir: '/', env: { 'A;B': '1' }, command: 'x', args: [] }),
    /bad environment variable name/,
  );
});

test('ssh -G output: host, port, user and alias; the known_hosts name as OpenSSH looks it up', () => {
  const t = parseSshConfigDump(
    'gpu',
    'user ops\nhostname 10.0.0.5\nport 2222\nhostkeyalias none\nidentityfile ~/.ssh/id_rsa\n',
  );
  assert.deepEqual(t, { destination: 'gpu', hostname: '10.0.0.5', port: 2222, user: 'ops' });
  assert.equal(knownHostsName(t), '[10.0.0.5]:2222');
  assert.equal(knownHostsName({ ...t, port: 22 }), '10.0.0.5');
  assert.equal(knownHostsName({ ...t, hostKeyAlias: 'gpu-alias' }), 'gpu-alias');
});

const config: SshConfig = {
  knownHostsFile: '/k/known_hosts',
  identityFile: '/k/id',
  configFile: 'none',
  connectTimeoutMs: 2500,
  keepaliveMs: 5000,
  keepaliveCount: 3,
};
const target = { destination: '-oProxyCommand=evil', hostname: 'h', port: 22, user: 'ops' };

test('every ssh: no prompts, strict keys from the profile file only, timeouts, no forwarding; the destination after --', () => {
  const args = sshArgs(config, target, { role: 'session', controlPath: '/s/ssh/abc' });
  const opts = new Set(args.filter((_, i) => args[i - 1] === '-o'));
  for (const o of [
    'BatchMode=yes',
    'StrictHostKeyChecking=yes',
    'UserKnownHostsFile=/k/known_hosts',
    'GlobalKnownHostsFile=/dev/null',
    'UpdateHostKeys=no',
    'ConnectTimeout=3',
    'ServerAliveInterval=5',
    'ServerAliveCountMax=3',
    'ClearAllForwardings=yes',
    'ForwardAgent=no',
    'ForwardX11=no',
    'IdentitiesOnly=yes',
    'ControlMaster=no',
    'ControlPath=/s/ssh/abc',
    'EscapeChar=none',
  ])
    assert.ok(opts.has(o), o);
  assert.ok(args.includes('-a') && args.includes('-x'));
  assert.deepEqual(args.slice(-2), ['--', '-oProxyCommand=evil']);
  const master = sshArgs(config, target, { role: 'master', controlPath: '/s/ssh/abc' });
  assert.ok(master.includes('ControlMaster=yes') && master.includes('ControlPersist=no'));
  assert.ok(sshArgs(config, target, { role: 'none' }).includes('ControlPath=none'));
});

test('control sockets have short names, and a state dir too long for one is one clear error', () => {
  const p = controlPathOf('/tmp/s', 'gpu-1', target);
  assert.match(p, /^\/tmp\/s\/ssh\/[0-9a-f]{12}$/);
  assert.notEqual(controlPathOf('/tmp/s', 'gpu-2', target), p);
  assert.throws(
    () => controlPathOf(`/tmp/${'x'.repeat(80)}`, 'gpu-1', target),
    /--state-dir .* is too long for ssh's control sockets .*use a shorter --state-dir/,
  );
});

const ctx: FailureContext = {
  hostName: 'gpu-1',
  target: { destination: 'gpu-1', hostname: '10.0.0.5', port: 2222, user: 'ops' },
  knownHostsFile: '/k/kh',
  trustCommand: 'serve hosts trust gpu-1',
  connectTimeoutMs: 5000,
};

test("ssh's failures become one line naming the host and the fix", () => {
  const cases: Array<[string, boolean, string, RegExp]> = [
    [
      'No ED25519 host key is known for [10.0.0.5]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n',
      false,
      'unknown-host-key',
      /^host gpu-1 \(ops@10\.0\.0\.5:2222\): its host key is not in \/k\/kh.*run `serve hosts trust gpu-1`$/,
    ],
    [
      '@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.\n',
      false,
      'changed-host-key',
      /has CHANGED since it was recorded in \/k\/kh/,
    ],
    [
      'ops@10.0.0.5: Permission denied (publickey).\n',
      false,
      'refused',
      /ops was refused \(Permission denied \(publickey\)\): add your public key to ~ops\/.ssh\/authorized_keys/,
    ],
    [
      'ssh: connect to host 10.0.0.5 port 2222: Connection timed out\n',
      false,
      'unreachable',
      /cannot connect \(Connection timed out\)/,
    ],
    [
      'ssh: Could not resolve hostname nope: Name or service not known\n',
      false,
      'unreachable',
      /cannot connect \(Could not resolve hostname\)/,
    ],
    ['', true, 'unreachable', /cannot connect \(no answer within 5s\)/],
    ['bash: line 1: weird failure\n', false, 'other', /ssh failed: bash: line 1: weird failure/],
  ];
  for (const [stderr, timedOut, kind, message] of cases) {
    const f = classifySshFailure(stderr, timedOut, ctx);
    assert.equal(f.kind, kind, stderr);
    assert.match(f.message, message);
    assert.ok(!f.message.includes('\n'));
  }
});

test("nvidia-smi's CSV: memory in bytes, [N/A] left out, a bad line named", () => {
  const gpus = parseNvidiaSmi('0, NVIDIA H100 80GB HBM3, 81559, 1024, 7\n1, NVIDIA H100 80GB HBM3, 81559, 0, [N/A]\n');
  assert.deepEqual(gpus[0], {
    index: 0,
    name: 'NVIDIA H100 80GB HBM3',
    memoryTotalBytes: 81559 * 1024 ** 2,
    memoryUsedBytes: 1024 ** 3,
    utilizationPercent: 7,
  });
  assert.equal(gpus[1]!.utilizationPercent, undefined);
  assert.throws(
    () => parseNvidiaSmi('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'),
    /nvidia-smi printed "NVIDIA-SMI has failed/,
  );
});

test("a host's facts: versions, capacity, GPUs, the CUDA provider", () => {
  const f = parseFacts(
    'workdir=ok\nnode=v20.18.1\nserve=0.1.0 (git abc123)\ncpus=16\nmem_kb=65536\ngpu=0, A10, 24576, 0, 0\nnvidia_smi=0\ncuda=unresolved libcudnn.so.9 \n',
  );
  assert.deepEqual(
    { ...f, gpus: f.gpus.length },
    {
      workdirFound: true,
      nodeVersion: 'v20.18.1',
      serveVersion: '0.1.0',
      cpus: 16,
      memoryBytes: 64 * 1024 ** 2,
      nvidiaSmi: 'ok',
      gpus: 1,
      cuda: { state: 'unresolved', detail: 'libcudnn.so.9' },
    },
  );
  const none = parseFacts(
    'workdir=missing\nnode=sh: 1: node: not found\nserve=sh: 1: node: not found\ncpus=2\nmem_kb=100\nnvidia_smi=missing\ncuda=missing\n',
  );
  assert.equal(none.nodeError, 'sh: 1: node: not found');
  assert.equal(none.serveVersion, undefined);
  assert.equal(none.nvidiaSmi, 'missing');
  assert.ok(
    nodeAtLeast('v22.1.0', '20.18.1') && nodeAtLeast('v20.18.1', '20.18.1') && !nodeAtLeast('v20.9.0', '20.18.1'),
  );
});

test("the gateway sends the cluster token to replicas and drops a client's own; abort lists are read", () => {
  const h = upstreamRequestHeaders(
    ['Content-Type', 'application/json', 'X-Serve-Cluster-Token', 'forged'],
    900,
    'secret',
  );
  assert.deepEqual(h, [
    'Content-Type',
    'application/json',
    'x-serve-timeout-ms',
    '900',
    'x-serve-cluster-token',
    'secret',
  ]);
  assert.deepEqual(upstreamRequestHeaders(['x-serve-cluster-token', 'forged'], 900), ['x-serve-timeout-ms', '900']);
  assert.deepEqual(parseControl({ type: 'replicas', replicas: [], seq: 3, abort: ['replica-2'] }), {
    type: 'replicas',
    replicas: [],
    seq: 3,
    abort: ['replica-2'],
  });
  assert.throws(
    () => parseControl({ type: 'replicas', replicas: [], abort: [1] }),
    /"abort" must be an array of replica ids/,
  );
});

test("the remote wrapper passes only the allow-list of the host's login environment, then its own variables", () => {
  const print = `process.stdout.write(JSON.stringify(process.env))`;
  const cmd = remoteCommand({
    workdir: '/tmp',
    env: { CUDA_VISIBLE_DEVICES: '0', FROM_PROFILE: 'it\'s $(id) "quoted"', LC_ALL: 'C' },
    command: process.execPath,
    args: ['-e', print],
  });
  const login = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/home/ops',
    LC_ALL: 'en_US.UTF-8',
    LC_CTYPE: 'C.UTF-8',
    ORT_ODD: 'a b\t$(id) `id` \'q\' "d" \\',
    AWS_SECRET_ACCESS_KEY: 'aws-secret',
    SERVE_TOKEN: 'bench-token',
    SSH_CONNECTION: '10.0.0.1 5555 10.0.0.2 22',
    // A value whose second line looks like an allowed variable adds nothing.
    TRICK: 'x\nLC_FORGED=1\nPATH=/evil',
  };
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', env: login });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    PATH: login.PATH,
    HOME: '/home/ops',
    LC_ALL: 'C',
    LC_CTYPE: 'C.UTF-8',
    ORT_ODD: login.ORT_ODD,
    CUDA_VISIBLE_DEVICES: '0',
    FROM_PROFILE: 'it\'s $(id) "quoted"',
  });
});
