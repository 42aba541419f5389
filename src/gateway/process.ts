// The gateway as a child process of the controller (gateway, data plane): prints the listening
// event, follows control messages on stdin, and drains on SIGTERM or (with exitWithParent) stdin EOF.
import readline from 'node:readline';
import { errorMessage } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { createLogger } from '../common/log.js';
import type { ProcessEvent } from '../common/wire.js';
import { parseControlLine } from './control.js';
import { startGateway, type GatewayOptions } from './server.js';

/** Options of the gateway process: the server's plus what ties it to its parent. */
export interface GatewayProcessOptions extends GatewayOptions {
  /** Drain and exit when stdin closes (the controller went away). */
  exitWithParent?: boolean;
}

function emit(event: ProcessEvent): void {
  process.stdout.write(JSON.stringify(event) + '\n');
}

/** Runs the gateway until it is told to stop; resolves with the exit code once it has drained. */
export async function runGatewayProcess(opts: GatewayProcessOptions): Promise<number> {
  const log = opts.logger ?? createLogger({ component: 'gateway' });
  const gw = await startGateway({ ...opts, logger: log }).catch((err: unknown) => {
    emit({ event: 'fatal', error: errorMessage(err) });
    throw err;
  });
  emit({ event: 'listening', host: gw.host, port: gw.port, url: gw.url });
  log.info('listening', { url: gw.url });

  return new Promise<number>((resolve) => {
    let stopping = false;
    let announced = false;
    const announceDrain = () => {
      if (!announced) emit({ event: 'draining' });
      announced = true;
    };
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      log.info('stopping', { why });
      announceDrain();
      rl.close();
      process.stdin.destroy();
      gw.close().then(
        () => resolve(0),
        (err) => {
          log.error('close failed', { error: errorMessage(err) });
          resolve(ExitCode.Internal);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));

    const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    rl.on('line', (line) => {
      if (line.trim() === '') return;
      try {
        const msg = parseControlLine(line);
        if (msg.type === 'replicas') gw.setReplicas(msg.replicas);
        else {
          announceDrain();
          void gw.drain();
        }
      } catch (err) {
        log.warn('bad control line ignored', { error: errorMessage(err), line: line.slice(0, 200) });
      }
    });
    rl.on('close', () => {
      if (opts.exitWithParent) stop('stdin closed');
    });
  });
}
