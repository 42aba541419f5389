// `serve gateway` (cli): the data-plane gateway process the controller starts. Hidden from `serve
// --help` but documented by its own. Flags come from the settings table; the process life is the
// data-plane wrapper's; replica sets arrive as JSON lines on stdin.
import type { Command } from 'commander';
import { runDataPlaneProcess } from '../common/data-plane-process.js';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger, type Logger } from '../common/log.js';
import { gatewaySettingsTable, type GatewaySettings } from '../common/settings/table-gateway.js';
import type { ProcessEvent } from '../common/wire.js';
import { parseControl } from '../gateway/control.js';
import type { GatewayHandle, GatewayOptions } from '../gateway/handle.js';
import { GatewayHolder } from '../gateway/holder/holder.js';
import { KeepIpc, keepMessage } from '../gateway/holder/kept.js';
import { ConnectionLender, ipcSend } from '../gateway/holder/lend.js';
import { HolderIpc } from '../gateway/holder/serving-process.js';
import { startGateway } from '../gateway/server.js';
import { addControlOptions, controlOptions, controlSocketHelp, type ControlFlags } from './control-flags.js';
import { action } from './errors.js';
import { addSettingOptions, settingsFromFlags } from './settings-flags.js';

interface GatewayFlags extends ControlFlags {
  exitWithParent?: boolean;
  settingsStdin?: boolean;
  hold?: boolean;
  listenFromParent?: boolean;
}

/** How often a gateway that hands over closes the connections left idle (ms). */
const HANDOVER_IDLE_SWEEP_MS = 1000;
/** A holder's drain outlasts its serving process's by this much, so that one's own timeout acts first (ms). */
const HOLDER_DRAIN_EXTRA_MS = 2000;

export function register(program: Command): void {
  const cmd = program
    .command('gateway', { hidden: true })
    .description('Run the data-plane gateway (started by `serve up`; reads replica sets as JSON ' + 'lines on stdin).');
  addSettingOptions(cmd, gatewaySettingsTable)
    .option('--exit-with-parent', 'drain and exit when stdin closes')
    .option(
      '--hold',
      'own the listening socket and run the serving gateway as a child process on it (what `serve up` starts); ' +
        'SIGUSR2 restarts the serving process on the same socket',
    )
    .option('--listen-from-parent', 'serve on the socket of the parent holder (`--hold`), received over IPC');
  addControlOptions(cmd)
    .addHelpText(
      'after',
      `
Stdin control messages (one JSON object a line):
  ` +
        `{"type":"replicas","replicas":[{"id":"r1","url":"http://127.0.0.1:9001","ready":true}],"seq":1}   ` +
        `replace the replica set
  ` +
        `{"type":"auth","auth":{"tokens":[{"name":"ci","sha256":"<hex>"}],"openHealth":true,"openMetrics":false}}  ` +
        `accepted tokens (with --auth)
  ` +
        `{"type":"drain"}                                                                                ` +
        `answer new requests 503, finish the rest
Stdout: ` +
        `{"event":"listening","host":...,"port":...,"url":...} once listening, ` +
        `{"event":"applied","seq":N} once
a numbered replica set is in use. SIGTERM (and ` +
        `stdin EOF with --exit-with-parent) drains and exits 0;
SIGHUP reads --tls-cert ` +
        `and --tls-key again (an expired, not yet valid or broken file is refused ` +
        `and
the certificate in use kept); without TLS it logs that there is nothing to ` +
        `reload. It never stops it.
` +
        controlSocketHelp('gateway', ',"servingPid":N') +
        `With --hold the holder owns the control socket (servingPid: its serving process); its serving
processes get none.

Example:
  $ echo ` +
        `'{"type":"replicas","replicas":[{"id":"r1","url":"http://127.0.0.1:9001","ready":true}]}' ` +
        `| serve gateway --port 8000`,
    )
    .action(action((flags: GatewayFlags) => runGateway(cmd, flags)));
}

async function runGateway(cmd: Command, flags: GatewayFlags): Promise<number> {
  if (flags.hold) return runHolder(cmd, flags);
  const log = createLogger({ component: 'gateway' });
  let handingOver = false;
  return runDataPlaneProcess({
    log,
    role: 'gateway',
    exitWithParent: flags.exitWithParent === true,
    ...controlOptions(flags),
    settingsFromStdin: flags.settingsStdin === true,
    start: async (stdin) => {
      const s = settingsFromFlags(cmd, gatewaySettingsTable, stdin) as unknown as GatewaySettings;
      const send = flags.listenFromParent && s.keepConnections ? ipcSend() : undefined;
      const lender = send ? new ConnectionLender(send, log) : undefined;
      const gw = await listen(
        flags.listenFromParent ? { ...s, listenHandle: await socketFromHolder(), ...(lender ? { lender } : {}) } : s,
        log,
      );
      log.info('listening', { url: gw.url });
      if (flags.listenFromParent)
        process.on('message', (m, handle) => {
          const k = keepMessage(m);
          if (k?.type === KeepIpc.adopt && typeof handle === 'object' && handle !== null)
            return lender?.adopt(k.id, handle, s.requestTimeoutMs);
          if (m !== HolderIpc.handover) return;
          // Stop as on SIGTERM, by the wrapper's one path, but handing over instead of answering 503.
          handingOver = true;
          process.kill(process.pid, 'SIGTERM');
        });
      return {
        listening: { host: gw.host, port: gw.port, url: gw.url },
        drainTimeoutMs: s.drainTimeoutMs,
        drain: () => (handingOver ? gw.handover(HANDOVER_IDLE_SWEEP_MS) : gw.drain()),
        close: () => gw.close(),
        // A renewed certificate is picked up on SIGHUP, for new connections; open ones carry on.
        ...(s.tlsCert !== undefined
          ? {
              reload: () =>
                gw
                  .reloadTls()
                  .catch((err) =>
                    log.error('TLS reload refused; keeping the certificate in use', { error: errorMessage(err) }),
                  ),
            }
          : { nothingToReload: 'plain HTTP: no TLS certificate; tokens and replica sets come from the controller' }),
        control: (msg, emit) => control(gw, msg, emit, log),
      };
    },
  });
}

/** `serve gateway --hold`: the socket holder (gateway/holder/holder.ts) under the same process wrapper. */
async function runHolder(cmd: Command, flags: GatewayFlags): Promise<number> {
  const log = createLogger({ component: 'gateway-holder' });
  let restart: (() => void) | undefined;
  const onUsr2 = () => (restart ? restart() : log.info('SIGUSR2: no serving process to restart yet'));
  process.on('SIGUSR2', onUsr2);
  try {
    return await runDataPlaneProcess({
      log,
      role: 'gateway',
      exitWithParent: flags.exitWithParent === true,
      ...controlOptions(flags),
      settingsFromStdin: flags.settingsStdin === true,
      start: async (stdin, emit) => {
        const s = settingsFromFlags(cmd, gatewaySettingsTable, stdin) as unknown as GatewaySettings;
        const cliEntry = process.argv[1];
        if (cliEntry === undefined) throw new Error('no CLI entry in process.argv to start the serving gateway with');
        const { holder, listening } = await GatewayHolder.start({
          settings: { ...s },
          cliEntry,
          log,
          emit,
        });
        restart = () => holder.replace('planned', 'SIGUSR2');
        log.info('holding the gateway socket', { url: listening.url, servingPid: holder.servingPid });
        return {
          listening,
          drainTimeoutMs: s.drainTimeoutMs + HOLDER_DRAIN_EXTRA_MS,
          drain: () => holder.drain(),
          close: () => holder.close(),
          reload: async () => holder.reload(),
          control: (msg) => holder.control(msg),
        };
      },
    });
  } finally {
    process.off('SIGUSR2', onUsr2);
  }
}

/** The holder's socket handle, asked for over IPC (a message sent before a listener exists would be lost). */
function socketFromHolder(): Promise<object> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new UserError('--listen-from-parent: no IPC channel to a holder'));
    const onMessage = (m: unknown, handle: unknown) => {
      if (m !== HolderIpc.socket || typeof handle !== 'object' || handle === null) return;
      process.off('message', onMessage);
      resolve(handle);
    };
    process.on('message', onMessage);
    // A standby whose holder is gone must not wait for ever.
    process.once('disconnect', () => reject(new Error('the socket holder went away before it gave the socket')));
    process.send(HolderIpc.want);
  });
}

async function listen(
  s: GatewaySettings & Pick<GatewayOptions, 'listenHandle' | 'lender'>,
  log: Logger,
): Promise<GatewayHandle> {
  try {
    return await startGateway({ ...s, logger: log });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UserError(
        `--port ${s.port}: the address ${s.host}:${s.port} is in use; pick another port ` + `(0 picks a free one)`,
      );
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new UserError(
        `--host ${s.host}: cannot listen on that address; use an address of this ` + `machine such as 127.0.0.1`,
      );
    throw err;
  }
}

function control(gw: GatewayHandle, msg: unknown, emit: (e: ProcessEvent) => void, log: Logger): void {
  try {
    const m = parseControl(msg);
    if (m.type === 'drain') {
      emit({ event: 'draining' });
      void gw.drain();
      return;
    }
    if (m.type === 'auth') return gw.setAuth(m.auth);
    gw.setReplicas(m.replicas, m.abort, m.weights);
    if (m.seq !== undefined) emit({ event: 'applied', seq: m.seq });
  } catch (err) {
    log.warn('bad control line ignored', { error: errorMessage(err) });
  }
}
