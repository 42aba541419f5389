// Getting an SSH host ready at `serve up` (control plane, hosts): asks it what it runs (the same
// Node.js range and serve version as here, or one clear error), learns its capacity and GPUs, and
// copies the model version there when it lacks it.
import { UnreachableError, UserError, errorMessage } from '../../common/errors.js';
import { packageVersion } from '../../common/package-info.js';
import { formatBytes } from '../../common/units.js';
import type { HostSpec } from '../../profile/types.js';
import type { ClusterEvent } from '../events.js';
import type { SshConnection } from './ssh-connection.js';
import type { HostCapacity } from '../placement/index.js';
import { factsScript, minNodeVersion, nodeAtLeast, parseFacts, type HostFacts } from './facts.js';
import { hashVersionFolder, syncModel } from './model-sync.js';
import { commandFailureCause } from './ssh-errors.js';
import { describeTarget, type SshTarget } from './ssh-target.js';

/** How long the host gets to say what it runs. */
const FACTS_TIMEOUT_MS = 30_000;

export interface PrepareOptions {
  conn: SshConnection;
  target: SshTarget;
  workdir: string;
  model: { name: string; version: number; dir: string };
  onEvent(e: ClusterEvent): void;
}

/** The host's facts, the capacity placement may use there, and its registry (holding the model now). */
export async function prepareRemoteHost(
  spec: HostSpec,
  o: PrepareOptions,
): Promise<{ facts: HostFacts; capacity: HostCapacity; registry: string }> {
  const facts = await checkFacts(spec, o.conn, o.workdir);
  const registry = spec.registry ?? `${o.workdir}/models`;
  const gpuCount = spec.gpus ?? facts.gpus.length;
  const capacity: HostCapacity = {
    name: spec.name,
    cpus: spec.cpus ?? facts.cpus ?? 1,
    memoryBytes: spec.memoryBytes ?? facts.memoryBytes ?? 0,
    gpus: gpuCount,
    ...(facts.gpus.length > 0 ? { gpuDevices: facts.gpus } : {}),
  };
  const m = o.model;
  const files = await hashVersionFolder(m.dir);
  const sync = await syncModel((cmd, x) => o.conn.exec(cmd, x), m.dir, registry, m.name, m.version, files).catch(
    (err: unknown) => {
      throw new UserError(
        `host ${spec.name}: the model ${m.name}@${m.version} could not be copied to ` +
          `${registry} there: ${errorMessage(err)}`,
      );
    },
  );
  const copied = sync.present
    ? 'already there'
    : `copied (${sync.blobsSent} of ${files.length} files sent, ` + `${formatBytes(sync.bytesSent)})`;
  o.onEvent({
    level: 'info',
    kind: 'host',
    message:
      `${spec.name}: connected to ${describeTarget(o.target)}; ${capacity.cpus} CPUs, ` +
      `${formatBytes(capacity.memoryBytes)}, ${gpuCount} GPUs; model ${m.name}@` +
      `${m.version} ${copied}`,
  });
  return { facts, capacity, registry };
}

/** Asks the host what it runs and has; a host that cannot run this serve is a UserError. */
async function checkFacts(spec: HostSpec, conn: SshConnection, workdir: string): Promise<HostFacts> {
  const r = await conn.exec(factsScript(spec.node, workdir), { timeoutMs: FACTS_TIMEOUT_MS });
  if (r.code !== 0)
    throw new UnreachableError(
      `host ${spec.name}: could not ask it what it runs (${commandFailureCause(r, FACTS_TIMEOUT_MS)})`,
    );
  const facts = parseFacts(r.stdout);
  const here = packageVersion();
  const min = minNodeVersion();
  if (!facts.workdirFound)
    throw new UserError(
      `host ${spec.name}: its workdir ${workdir} does not exist: install serve there ` +
        `and set hosts[].workdir to its folder`,
    );
  if (!facts.nodeVersion)
    throw new UserError(
      `host ${spec.name}: ${spec.node} does not run there (${facts.nodeError}): ` +
        `install Node.js >= ${min} or set hosts[].node`,
    );
  if (!nodeAtLeast(facts.nodeVersion, min))
    throw new UserError(
      `host ${spec.name}: Node.js ${facts.nodeVersion} there is older than ${min}: ` +
        `install a newer one or set hosts[].node`,
    );
  if (facts.serveVersion !== here) {
    const there = facts.serveVersion ?? `no serve (${facts.serveError})`;
    throw new UserError(
      `host ${spec.name}: serve there is ${there}, here ${here}: install the same ` +
        `package in ${workdir} on that host (docs/install.md)`,
    );
  }
  return facts;
}
