// `serve gateway` (cli): the internal command the controller starts for the data-plane gateway.
// Hidden from `serve --help`, but documented by its own --help.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UserError } from '../common/errors.js';
import { parseDurationMs } from '../common/units.js';
import { runGatewayProcess } from '../gateway/process.js';
import { action } from './errors.js';

function intIn(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

function durationMs(text: string): number {
  try {
    const ms = parseDurationMs(text);
    if (ms <= 0) throw new RangeError('expected a duration above zero such as "1s"');
    return ms;
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

interface GatewayFlags {
  host: string;
  port: number;
  maxQueued: number;
  maxInflightPerReplica: number;
  requestTimeout: number;
  ejectAfter: number;
  ejectFor: number;
  exitWithParent?: boolean;
}

export function register(program: Command): void {
  program
    .command('gateway', { hidden: true })
    .description('Run the data-plane gateway (started by `serve up`; reads replica sets as JSON lines on stdin).')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', intIn(0, 65535), 8000)
    .option('--max-queued <n>', 'requests that may wait for a replica slot before 503', intIn(0, 1_000_000), 1024)
    .option('--max-inflight-per-replica <n>', 'requests in flight to one replica at most', intIn(1, 100_000), 64)
    .addOption(new Option('--request-timeout <duration>', 'budget of a request without an x-serve-timeout-ms header').argParser(durationMs).default(1000, '1s'))
    .option('--eject-after <n>', 'consecutive failures that eject a replica', intIn(1, 1_000_000), 5)
    .addOption(new Option('--eject-for <duration>', 'how long an ejected replica is left out').argParser(durationMs).default(10_000, '10s'))
    .option('--exit-with-parent', 'drain and exit when stdin closes')
    .addHelpText('after', `
Stdin control messages (one JSON object a line):
  {"type":"replicas","replicas":[{"id":"r1","url":"http://127.0.0.1:9001","ready":true}]}   replace the replica set
  {"type":"drain"}                                                                          answer new requests 503, finish the rest
Stdout: {"event":"listening","host":...,"port":...,"url":...} once listening. SIGTERM drains and exits 0.

Example:
  $ echo '{"type":"replicas","replicas":[{"id":"r1","url":"http://127.0.0.1:9001","ready":true}]}' | serve gateway --port 8000`)
    .action(action(async (flags: GatewayFlags) => {
      return runGatewayProcess({
        host: flags.host,
        port: flags.port,
        maxQueued: flags.maxQueued,
        maxInflightPerReplica: flags.maxInflightPerReplica,
        requestTimeoutMs: flags.requestTimeout,
        ejectAfter: flags.ejectAfter,
        ejectForMs: flags.ejectFor,
        exitWithParent: flags.exitWithParent === true,
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') throw new UserError(`--port ${flags.port}: the address ${flags.host}:${flags.port} is in use; pick another port (0 picks a free one)`);
        if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new UserError(`--host ${flags.host}: cannot listen on that address; use an address of this machine such as 127.0.0.1`);
        throw err;
      });
    }));
}
