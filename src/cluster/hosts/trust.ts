// `serve hosts trust` as data (control plane, hosts): fetch a host's keys (ssh-keyscan), show their
// fingerprints beside what known_hosts records, and record them only when the caller confirms.
import { UserError, errorMessage } from '../../common/errors.js';
import type { Profile } from '../../profile/types.js';
import { fingerprintsOf, recordHostKeys, recordedFingerprints, scanHostKeys } from './known-hosts.js';
import { sshConfigOf } from './ssh-options.js';
import { knownHostsName, resolveTarget, type SshTarget } from './ssh-target.js';

/** What the host offers and what is recorded: `same` needs nothing, `new` and `changed` a confirmation. */
export interface TrustOffer {
  host: string;
  target: SshTarget;
  /** The name known_hosts lists it under ("[10.0.0.5]:2222"). */
  keyName: string;
  knownHostsFile: string;
  state: 'new' | 'same' | 'changed';
  /** Fingerprints of the keys the host offers now. */
  offered: string[];
  /** Fingerprints recorded for it before. */
  recorded: string[];
  /** The known_hosts lines to record. */
  lines: string[];
}

/** Fetches `hostName`'s keys; throws a UserError for a host the profile does not have or one without SSH. */
export async function offerHostKeys(profile: Profile, hostName: string): Promise<TrustOffer> {
  const spec = profile.hosts.find((h) => h.name === hostName);
  if (!spec)
    throw new UserError(
      `the profile has no host "${hostName}": pick one of ` + `${profile.hosts.map((h) => h.name).join(', ')}`,
    );
  if (spec.ssh === undefined)
    throw new UserError(`host ${hostName} is this machine (it has no ssh destination): there is no key ` + `to trust`);
  const config = sshConfigOf(profile.ssh);
  const target = await resolveTarget(spec.ssh, config.configFile).catch((err: unknown) => {
    throw new UserError(
      `host ${hostName}: ssh cannot use the destination ${JSON.stringify(spec.ssh)} (` + `${errorMessage(err)})`,
    );
  });
  const lines = await scanHostKeys(target, config.connectTimeoutMs);
  const offered = await fingerprintsOf(lines);
  const recorded = await recordedFingerprints(config.knownHostsFile, target);
  const key = (fp: string) => fp.split(' ')[1];
  const offeredKeys = new Set(offered.map(key));
  const state = recorded.length === 0 ? 'new' : recorded.every((r) => offeredKeys.has(key(r))) ? 'same' : 'changed';
  return {
    host: hostName,
    target,
    keyName: knownHostsName(target),
    knownHostsFile: config.knownHostsFile,
    state,
    offered,
    recorded,
    lines,
  };
}

/** Records the offered keys, replacing what was recorded for that name. */
export async function acceptHostKeys(offer: TrustOffer): Promise<void> {
  await recordHostKeys(offer.knownHostsFile, offer.target, offer.lines);
}
