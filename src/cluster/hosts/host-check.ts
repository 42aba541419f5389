// `serve hosts check` as data (control plane, hosts): for each host of a profile, can it be
// reached, is its key known, does it run the same Node.js and serve, what capacity and GPUs it
// has, can the CUDA provider load there, and is the model there. Rendering is the CLI's.
import { errorMessage } from '../../common/errors.js';
import { findPackageRoot } from '../../common/package-info.js';
import { resolveModel } from '../../model/registry.js';
import type { HostSpec, Profile } from '../../profile/types.js';
import { factsScript, parseFacts } from './facts.js';
import { factLines, modelLine, type CheckLine, type ModelInfo } from './host-check-lines.js';
import { recordedFingerprints } from './known-hosts.js';
import { hashVersionFolder } from './model-sync.js';
import { runProcess } from './run-process.js';
import { classifySshFailure, type SshFailureKind } from './ssh-errors.js';
import { sshArgs, sshConfigOf, type SshConfig } from './ssh-options.js';
import { describeTarget, resolveTarget, type SshTarget } from './ssh-target.js';

export interface HostReport {
  host: string;
  /** user@host:port; absent for this machine. */
  ssh?: string;
  lines: CheckLine[];
  /** Why it could not be reached (an SSH failure), if it could not. */
  unreachable?: SshFailureKind;
}

export interface CheckOptions {
  /** This machine's registry (the model's source). */
  registry: string;
  /** `serve hosts trust NAME ...` for messages. */
  trustCommand(hostName: string): string;
}

/** Checks every host of `profile` at once (each bounded by the connect timeout and a few seconds). */
export async function checkHosts(profile: Profile, o: CheckOptions): Promise<HostReport[]> {
  const config = sshConfigOf(profile.ssh);
  const model = await resolveModel(o.registry, `${profile.model.name}@${profile.model.version}`).catch(() => undefined);
  const files = model ? await hashVersionFolder(model.dir) : undefined;
  const modelInfo = model && files ? { name: model.name, version: model.version, files } : undefined;
  return Promise.all(
    profile.hosts.map((h) =>
      h.ssh === undefined ? checkLocal(h, profile, modelInfo) : checkRemote(h, config, o, modelInfo),
    ),
  );
}

async function checkLocal(h: HostSpec, profile: Profile, model: ModelInfo): Promise<HostReport> {
  const root = findPackageRoot();
  const r = await runProcess('sh', ['-c', factsScript(process.execPath, root)], { timeoutMs: 20_000 });
  const facts = parseFacts(r.stdout);
  const lines: CheckLine[] = [
    { check: 'reachable', status: 'ok', detail: 'this machine' },
    ...factLines(facts, h, profile),
  ];
  lines.push(
    model
      ? { check: 'model', status: 'ok', detail: `${model.name}@${model.version} in ${profile.model.registry}` }
      : {
          check: 'model',
          status: 'fail',
          detail:
            `${profile.model.name}@${profile.model.version} is not in ` +
            `${profile.model.registry}: build or copy it there (serve model demo for the ` +
            `demo model)`,
        },
  );
  return { host: h.name, lines };
}

async function checkRemote(h: HostSpec, config: SshConfig, o: CheckOptions, model: ModelInfo): Promise<HostReport> {
  let target: SshTarget;
  try {
    target = await resolveTarget(h.ssh!, config.configFile);
  } catch (err) {
    return {
      host: h.name,
      lines: [
        {
          check: 'reachable',
          status: 'fail',
          detail:
            `ssh cannot use the destination ${JSON.stringify(h.ssh)} (${errorMessage(err)}` + `): fix its ssh field`,
        },
      ],
      unreachable: 'other',
    };
  }
  const report: HostReport = { host: h.name, ssh: describeTarget(target), lines: [] };
  const known = await recordedFingerprints(config.knownHostsFile, target);
  const workdir = h.workdir ?? findPackageRoot();
  const exec = (command: string, timeoutMs: number) =>
    runProcess('ssh', [...sshArgs(config, target, { role: 'none' }), command], { timeoutMs });
  const started = Date.now();
  const r = await exec(factsScript(h.node, workdir), config.connectTimeoutMs + 20_000);
  if (r.code === 255 || r.timedOut) {
    const failure = classifySshFailure(r.stderr, r.timedOut, {
      hostName: h.name,
      target,
      knownHostsFile: config.knownHostsFile,
      trustCommand: o.trustCommand(h.name),
      connectTimeoutMs: config.connectTimeoutMs,
      ...(config.identityFile ? { identityFile: config.identityFile } : {}),
    });
    const keyProblem = failure.kind === 'unknown-host-key' || failure.kind === 'changed-host-key';
    report.unreachable = failure.kind;
    report.lines.push({ check: 'reachable', status: 'fail', detail: failure.message });
    report.lines.push(
      keyProblem
        ? {
            check: 'host key',
            status: 'fail',
            detail:
              failure.kind === 'changed-host-key'
                ? `CHANGED: recorded ${known[0] ?? '?'}`
                : `not in ${config.knownHostsFile}`,
          }
        : {
            check: 'host key',
            status: known.length > 0 ? 'ok' : 'skip',
            detail: known.length > 0 ? known[0]! : 'not checked',
          },
    );
    return report;
  }
  report.lines.push({
    check: 'reachable',
    status: 'ok',
    detail: `ssh ${describeTarget(target)} answered in ` + `${((Date.now() - started) / 1000).toFixed(1)}s`,
  });
  report.lines.push({ check: 'host key', status: 'ok', detail: known[0] ?? `known in ${config.knownHostsFile}` });
  const facts = parseFacts(r.stdout);
  report.lines.push(...factLines(facts, h, undefined, workdir));
  report.lines.push(await modelLine(model, h, workdir, (cmd) => exec(cmd, config.connectTimeoutMs + 20_000)));
  return report;
}
