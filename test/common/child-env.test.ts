// The environment of a data-plane child (common/child-env.ts): the allow-list of the controller's
// environment, then the profile's env:, then what the controller sets; no secret passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedInChild, childEnv, CHILD_ENV_ALLOW } from '../../src/common/child-env.js';

const parent = {
  PATH: '/usr/local/bin:/usr/bin',
  HOME: '/home/ops',
  LANG: 'en_US.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'America/New_York',
  TMPDIR: '/scratch',
  LD_LIBRARY_PATH: '/usr/local/cuda/lib64',
  ORT_LOGGING_LEVEL: '3',
  CUDA_MODULE_LOADING: 'LAZY',
  NVIDIA_VISIBLE_DEVICES: 'all',
  NODE_EXTRA_CA_CERTS: '/etc/ssl/corp.pem',
  SERVE_LOG_LEVEL: 'debug',
  SERVE_DEBUG: '1',
  // Everything below stays with the controller.
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  AWS_ACCESS_KEY_ID: 'AKIA...',
  GITHUB_TOKEN: 'ghp_x',
  HF_TOKEN: 'hf_x',
  SERVE_TOKEN: 'bench-token',
  SERVE_TEST_SECRET_XYZ: 'xyz',
  SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
  HTTPS_PROXY: 'http://user:password@proxy:3128',
  NODE_OPTIONS: '--inspect',
  DATABASE_URL: 'postgres://u:p@db/x',
  LC_: 'a bare prefix is not a locale variable',
  XLC_ALL: 'not a prefix match',
  UNSET: undefined,
};

test('only the allow-list of the parent environment passes', () => {
  const env = childEnv(parent);
  assert.deepEqual(Object.keys(env).sort(), [
    'CUDA_MODULE_LOADING',
    'HOME',
    'LANG',
    'LC_ALL',
    'LD_LIBRARY_PATH',
    'NODE_EXTRA_CA_CERTS',
    'NVIDIA_VISIBLE_DEVICES',
    'ORT_LOGGING_LEVEL',
    'PATH',
    'SERVE_DEBUG',
    'SERVE_LOG_LEVEL',
    'TMPDIR',
    'TZ',
  ]);
  for (const [k, v] of Object.entries(env)) assert.equal(v, parent[k as keyof typeof parent]);
  assert.deepEqual(childEnv({}), {});
});

test("the profile's env: adds to the allow-list and may replace an allowed variable; the controller's own win", () => {
  const env = childEnv(
    parent,
    { HF_TOKEN: 'passed on purpose', PATH: '/opt/serve/bin', CUDA_VISIBLE_DEVICES: '7', EMPTY: '' },
    { CUDA_VISIBLE_DEVICES: '0,1' },
  );
  assert.equal(env.HF_TOKEN, 'passed on purpose');
  assert.equal(env.PATH, '/opt/serve/bin');
  assert.equal(env.EMPTY, '');
  assert.equal(env.CUDA_VISIBLE_DEVICES, '0,1', 'placement decides the GPUs');
  assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
  assert.equal(env.SERVE_TOKEN, undefined);
});

test('the table: exact names and prefixes ending in "_", each with a reason, no secret family', () => {
  for (const a of CHILD_ENV_ALLOW) {
    assert.match(a.name, a.prefix ? /^[A-Z]+_$/ : /^[A-Z][A-Z0-9_]*$/);
    assert.ok(a.why.length > 0, a.name);
  }
  assert.equal(new Set(CHILD_ENV_ALLOW.map((a) => a.name)).size, CHILD_ENV_ALLOW.length);
  for (const name of ['SERVE_TOKEN', 'AWS_SESSION_TOKEN', 'SSH_AUTH_SOCK', 'NODE_OPTIONS', 'http_proxy', 'path'])
    assert.equal(allowedInChild(name), false, name);
  for (const name of ['LC_CTYPE', 'CUDA_HOME', 'ORT_TENSORRT_FP16_ENABLE', 'NVIDIA_DRIVER_CAPABILITIES'])
    assert.equal(allowedInChild(name), true, name);
});
