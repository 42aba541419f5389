// controller.orphan_timeout reaches the command line of every local child (`--orphan-timeout`, ms):
// the gateway's holder and each replica on this machine; never a replica on an SSH host (its stdin and
// heartbeat end it), and no flag at all when the profile says never (the default). And the frames: a
// frame socket for a local replica, a TCP frame port (--frame-port 0) for one on an SSH host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayLaunch } from '../../src/cluster/launchers/child-args.js';
import { placedReplicaLaunch } from '../../src/cluster/launchers/placed-launch.js';
import { parseProfile } from '../../src/profile/parse.js';
import type { ProfileError } from '../../src/profile/problems.js';
import type { Profile } from '../../src/profile/types.js';

const profile = (extra = '') => parseProfile(`model:\n  name: cnn-lstm\n${extra}`, 'p.yaml', {}, '/work');

const remote = {
  node: 'node',
  workdir: '/opt/serve',
  registry: '/opt/serve/models',
  address: '10.0.0.5',
  heartbeatTimeoutMs: 15_000,
};

const options = () => ({
  cliEntry: 'main.js',
  modelVersion: 1,
  registry: './models',
  token: 't',
  remotePlace: (h: string | undefined) => (h === 'gpu-1' ? remote : undefined),
});

function launches(p: Profile) {
  const o = options();
  return {
    gateway: gatewayLaunch(p, { cliEntry: 'main.js' }).args,
    local: placedReplicaLaunch(p, o, 'r1', {}).args,
    ssh: placedReplicaLaunch(p, o, 'r2', { host: 'gpu-1' }).args,
  };
}

const orphanFlag = (args: string[]) => {
  const i = args.indexOf('--orphan-timeout');
  return i < 0 ? undefined : args[i + 1];
};

test('controller.orphan_timeout: 10m gives every local child --orphan-timeout 600000', () => {
  const p = profile('controller:\n  orphan_timeout: 10m\n');
  assert.equal(p.controller?.orphanTimeoutMs, 600_000);
  const l = launches(p);
  assert.equal(orphanFlag(l.gateway), '600000');
  assert.equal(orphanFlag(l.local), '600000');
  assert.equal(orphanFlag(l.ssh), undefined, 'an SSH replica ends with its session, not by this timeout');
});

test('never (the default, or written) gives no --orphan-timeout', () => {
  for (const p of [profile(), profile('controller:\n  orphan_timeout: never\n')]) {
    assert.equal(p.controller?.orphanTimeoutMs, 0);
    const l = launches(p);
    assert.deepEqual(
      [orphanFlag(l.gateway), orphanFlag(l.local), orphanFlag(l.ssh)],
      [undefined, undefined, undefined],
    );
  }
});

test('a timeout that is not a duration more than 0 or never is refused with the expected values', () => {
  for (const bad of ['soon', '0s', '200h']) {
    assert.throws(
      () => profile(`controller:\n  orphan_timeout: ${bad}\n`),
      (err: ProfileError) =>
        err.problems.length === 1 &&
        err.problems[0]!.path === 'controller.orphan_timeout' &&
        /expected "never" or a duration .* more than 0 and at most 168h/.test(err.problems[0]!.message),
      bad,
    );
  }
});

test('a replica on an SSH host serves frames on a free TCP port (--frame-port 0); a local one a frame socket', () => {
  const p = profile();
  const l = launches(p);
  const framePort = (args: string[]) => {
    const i = args.indexOf('--frame-port');
    return i < 0 ? undefined : args[i + 1];
  };
  assert.equal(framePort(l.ssh), '0');
  assert.equal(framePort(l.local), undefined);
  assert.equal(placedReplicaLaunch(p, options(), 'r1', {}).frameSocket, true);
  assert.equal(placedReplicaLaunch(p, options(), 'r2', { host: 'gpu-1' }).frameSocket, undefined);
});
