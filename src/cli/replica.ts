// `serve replica` (cli): one replica process, by hand or for the controller. Its flags come from the
// settings table; the process life (events on stdout, drain on SIGTERM/stdin EOF, exit codes) is the
// data-plane wrapper's. This file only parses flags.
import type { Command } from 'commander';
import { runDataPlaneProcess } from '../common/data-plane-process.js';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { replicaSettingsTable, type ReplicaSettings } from '../common/settings/table.js';
import { startReplica } from '../replica/replica.js';
import { addControlOptions, controlOptions, controlSocketHelp, type ControlFlags } from './control-flags.js';
import { action } from './errors.js';
import { addSettingOptions, settingsFromFlags } from './settings-flags.js';

interface ReplicaFlags extends ControlFlags {
  replicaId?: string;
  frameSocket?: string;
  framePort?: string;
  exitWithParent?: boolean;
  settingsStdin?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('replica')
    .description(
      'Serve one model version over the Open Inference Protocol v2 with dynamic ' +
        'batching (one process, one ONNX Runtime session).',
    );
  addSettingOptions(cmd, replicaSettingsTable)
    .option(
      '--replica-id <id>',
      'name sent in the x-serve-replica header and in logs (letters, digits, ".", "_", ":", "-")',
    )
    .option('--exit-with-parent', 'drain and exit when stdin closes (the parent went away)')
    .option(
      '--frame-socket <path>',
      'also serve infer requests of a gateway on this host over this unix socket (mode 0600), framed ' +
        'instead of HTTP (what `serve up` starts local replicas with); HTTP serves as before',
    )
    .option(
      '--frame-port <port>',
      'also serve infer requests of a gateway on another host framed over this TCP port of --host (0: a ' +
        'free one; what `serve up` starts replicas on SSH hosts with); each connection must first send ' +
        'the cluster token in a hello frame',
    );
  addControlOptions(cmd)
    .addHelpText(
      'after',
      `
Stdout carries one JSON event per line: {"event":"listening",...}, then ` +
        `{"event":"ready",...} once warm,
{"event":"draining"} when it stops, or ` +
        `{"event":"fatal","error":...} when it cannot start (it then exits
at once: 2 ` +
        `for a bad setting or model, 1 otherwise). SIGTERM/SIGINT (and stdin EOF ` +
        `with
--exit-with-parent, or a closed stdout) drain: accepted requests are ` +
        `answered, then it exits 0, or 1
when the drain took longer than ` +
        `--drain-timeout-ms. SIGHUP only logs that there is nothing to ` +
        `reload.
` +
        controlSocketHelp('replica') +
        `With --frame-socket PATH a gateway on this host sends it POST .../infer requests over that unix
socket, each a length-prefixed binary frame (no HTTP parse on either side): the same checks, limits
and answers as over HTTP; its ready event then says "frameSocket":PATH. Everything else stays HTTP.
With --frame-port N the same frames come over TCP on --host (a gateway on another host): its ready
event says "frameAddress":"HOST:PORT", and each connection must first send a hello frame carrying the
cluster token (a wrong or missing one: a 401 frame, then the connection is closed).
` +
        `Endpoints: GET /v2/health/live, /v2/health/ready, /v2, ` +
        `/v2/models/NAME[/versions/V][/ready], /metrics;
POST ` +
        `/v2/models/NAME[/versions/V]/infer (JSON or Triton binary tensors). In a ` +
        `cluster every endpoint
but /metrics and the health ones needs the cluster's ` +
        `x-serve-cluster-token header (the gateway adds it).

Examples:
  $ serve ` +
        `replica --model cnn-lstm --port 8001
  $ serve replica --model cnn-lstm@1 ` +
        `--registry ./models --max-batch-size 16 --batch-wait-ms 5
  $ serve replica ` +
        `--model cnn-lstm --device cpu --threads 2 --replica-id r1 --exit-with-parent`,
    )
    .action(action((flags: ReplicaFlags) => runReplica(cmd, flags)));
}

async function runReplica(cmd: Command, flags: ReplicaFlags): Promise<number> {
  const log = createLogger({ component: 'replica', ...(flags.replicaId ? { replica: flags.replicaId } : {}) });
  return runDataPlaneProcess({
    log,
    role: 'replica',
    exitWithParent: flags.exitWithParent === true,
    ...controlOptions(flags),
    settingsFromStdin: flags.settingsStdin === true,
    start: async (stdin) => {
      const settings = settingsFromFlags(cmd, replicaSettingsTable, stdin) as unknown as ReplicaSettings;
      const replica = await startReplica({
        ...settings,
        replicaId: flags.replicaId,
        ...(flags.frameSocket === undefined ? {} : { frameSocket: flags.frameSocket }),
        ...(flags.framePort === undefined ? {} : { framePort: portFlag(flags.framePort) }),
        logger: log,
      });
      return {
        listening: { host: replica.host, port: replica.port, url: replica.url },
        drainTimeoutMs: settings.drainTimeoutMs,
        stdinIdleTimeoutMs: settings.heartbeatTimeoutMs,
        ready: replica.ready.then(
          // fallbackReason: the controller shows why device auto ended on the CPU (`serve up`, `serve status`).
          (info) => ({
            loadMs: Math.round(info.loadMs),
            device: info.device,
            modelDigest: info.modelDigest,
            ...(replica.frameSocket === undefined ? {} : { frameSocket: replica.frameSocket }),
            ...(replica.frameAddress === undefined ? {} : { frameAddress: replica.frameAddress }),
            ...(info.fallbackReason ? { fallbackReason: info.fallbackReason } : {}),
          }),
          (err: unknown) => {
            // A file ONNX Runtime cannot load is the user's to fix (replace or re-export it): exit 2.
            if (err instanceof UserError) throw err;
            throw new UserError(
              `model ${settings.model} could not be loaded: ${errorMessage(err)} (check or ` +
                `replace model.onnx; for the demo model run \`serve model demo --force\`)`,
            );
          },
        ),
        drain: () => replica.drain(),
        close: () => replica.close(),
        control: (message, emit) => replica.control(message, emit),
        nothingToReload: 'a replica changes its model and settings through the controller (serve rollout, reconfigure)',
      };
    },
  });
}

/** `--frame-port`'s value: a port number, 0 for a free one. */
function portFlag(text: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n > 65535)
    throw new UserError(
      `--frame-port must be a port number from 0 to 65535 (0: a free one), got "${text.slice(0, 20)}"`,
    );
  return n;
}
