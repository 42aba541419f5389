// `serve replica` (cli): runs one replica process by hand or for the controller. Prints the
// `listening` and `ready` events as JSON lines on stdout, logs JSON lines on stderr, drains on
// SIGTERM/SIGINT (and on stdin EOF with --exit-with-parent).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UserError, errorMessage } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { createLogger } from '../common/log.js';
import { parseBytes, parseDurationMs } from '../common/units.js';
import type { ProcessEvent } from '../common/wire.js';
import { DEFAULT_REGISTRY_DIR } from '../model/registry.js';
import { startReplica, type ReplicaHandle } from '../replica/replica.js';
import type { DeviceRequest } from '../replica/session.js';
import { action } from './errors.js';

interface ReplicaFlags {
  model: string; registry: string; host: string; port: number; maxBatchSize: number; batchWait: number;
  maxQueued: number; device: DeviceRequest; threads: number; maxBody: number; replicaId?: string;
  drainTimeout: number; exitWithParent?: boolean; batching: boolean; allowNonfinite?: boolean; sessionWorker: boolean;
}

const int = (flag: string, min: number, max: number) => (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`${flag} expects a whole number from ${min} to ${max}, got "${v}"`);
  return Number(v);
};
const duration = (flag: string) => (v: string): number => {
  try {
    return parseDurationMs(v, 'ms');
  } catch (err) {
    throw new InvalidArgumentError(`${flag}: ${errorMessage(err)}`);
  }
};
const bytes = (flag: string) => (v: string): number => {
  try {
    return parseBytes(v);
  } catch (err) {
    throw new InvalidArgumentError(`${flag}: ${errorMessage(err)}`);
  }
};

function emit(event: ProcessEvent): void {
  process.stdout.write(JSON.stringify(event) + '\n');
}

export function register(program: Command): void {
  program
    .command('replica')
    .description('Serve one model version over the Open Inference Protocol v2 with dynamic batching (one process, one ONNX Runtime session).')
    .requiredOption('--model <name[@version]>', 'model to serve: NAME, NAME@VERSION or NAME@latest')
    .option('--registry <dir>', 'model registry folder', DEFAULT_REGISTRY_DIR)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on; 0 picks a free one (printed in the listening event)', int('--port', 0, 65535), 0)
    .option('--max-batch-size <rows>', 'rows per model run; also the most rows one request may carry', int('--max-batch-size', 1, 4096), 32)
    .addOption(new Option('--batch-wait <duration>', 'how long the first queued request waits for others, e.g. 10ms, 500us').argParser(duration('--batch-wait')).default(10, '10ms'))
    .option('--max-queued <n>', 'queued requests beyond which new ones get 503 + Retry-After', int('--max-queued', 1, 1_000_000), 256)
    .addOption(new Option('--device <device>', 'where to run: cpu, cuda (falls back to cpu with a warning), auto').choices(['cpu', 'cuda', 'auto']).default('cpu'))
    .option('--threads <n>', 'ONNX Runtime intra-op threads', int('--threads', 1, 256), 1)
    .addOption(new Option('--max-body <size>', 'largest request body, e.g. 512KiB (chunked bodies included)').argParser(bytes('--max-body')).default(4 * 1024 * 1024, '4MiB'))
    .option('--replica-id <id>', 'name sent in the x-serve-replica header and in logs')
    .addOption(new Option('--drain-timeout <duration>', 'grace period to finish queued work after SIGTERM').argParser(duration('--drain-timeout')).default(10_000, '10s'))
    .option('--exit-with-parent', 'drain and exit when stdin closes (the parent went away)')
    .option('--no-batching', 'run every request alone, without waiting (benchmark baseline)')
    .option('--no-session-worker', 'run ONNX Runtime on the main thread instead of a worker thread (no overlap of HTTP and inference; ~10 MB less memory)')
    .option('--allow-nonfinite', 'accept NaN and Infinity in float inputs (rejected with 400 by default)')
    .addHelpText('after', `
Stdout carries one JSON event per line: {"event":"listening",...}, then {"event":"ready",...} once warm.
Endpoints: GET /v2/health/live, /v2/health/ready, /v2, /v2/models/NAME[/versions/V][/ready], /metrics;
POST /v2/models/NAME[/versions/V]/infer (JSON or Triton binary tensors).

Examples:
  $ serve replica --model cnn-lstm --port 8001
  $ serve replica --model cnn-lstm@1 --registry ./models --port 0 --max-batch-size 16 --batch-wait 5ms
  $ serve replica --model cnn-lstm --device auto --threads 2 --replica-id r1 --exit-with-parent`)
    .action(action(runReplica));
}

async function runReplica(flags: ReplicaFlags): Promise<number> {
  const log = createLogger({ component: 'replica', ...(flags.replicaId ? { replica: flags.replicaId } : {}) });
  let replica: ReplicaHandle;
  try {
    replica = await startReplica({
      model: flags.model, registryDir: flags.registry, host: flags.host, port: flags.port, maxBatchSize: flags.maxBatchSize,
      batchWaitMs: flags.batchWait, maxQueuedRequests: flags.maxQueued, device: flags.device, intraOpThreads: flags.threads,
      maxBodyBytes: flags.maxBody, replicaId: flags.replicaId, batching: flags.batching, sessionWorker: flags.sessionWorker, allowNonFinite: flags.allowNonfinite ?? false, logger: log,
    });
  } catch (err) {
    emit({ event: 'fatal', error: errorMessage(err) });
    throw err;
  }
  emit({ event: 'listening', host: replica.host, port: replica.port, url: replica.url });
  const stop = stopSignal(flags.exitWithParent ?? false);
  const outcome = await Promise.race([replica.ready.then(() => 'ready' as const), stop.promise]).catch(async (err: unknown) => {
    emit({ event: 'fatal', error: errorMessage(err) });
    await replica.close();
    // A file ONNX Runtime cannot load is the user's to fix (replace or re-export it): exit 2.
    throw err instanceof UserError ? err : new UserError(`model ${flags.model} could not be loaded: ${errorMessage(err)} (check or replace model.onnx; for the demo run "serve model demo --force")`);
  });
  if (outcome === 'ready') {
    const info = await replica.ready;
    emit({ event: 'ready', loadMs: Math.round(info.loadMs), device: info.device });
    log.info(`stopping on ${await stop.promise}`);
  } else log.info(`stopping on ${outcome} before the model was ready`);
  emit({ event: 'draining' });
  const drained = await Promise.race([replica.drain().then(() => true), sleep(flags.drainTimeout).then(() => false)]);
  stop.dispose();
  if (!drained) {
    log.warn(`drain did not finish within ${flags.drainTimeout}ms; closing with work outstanding`);
    // close() during a drain returns the drain still pending (a slow client or a hung session can
    // hold it for good): give it a moment, then leave anyway — that is what the timeout is for.
    await Promise.race([replica.close(), sleep(1000)]);
  }
  // Nothing else should keep the loop alive, but a stray handle must not keep a replica around.
  setTimeout(() => process.exit(), 200).unref();
  return drained ? ExitCode.Ok : ExitCode.TargetMissed;
}

/** Resolves with the reason to stop: a signal, or stdin EOF when `onStdinEnd`. */
function stopSignal(onStdinEnd: boolean): { promise: Promise<string>; dispose(): void } {
  let resolve!: (why: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  const onTerm = () => resolve('SIGTERM');
  const onInt = () => resolve('SIGINT');
  const onEnd = () => resolve('stdin closed (parent gone)');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  if (onStdinEnd) {
    process.stdin.on('end', onEnd);
    process.stdin.on('error', onEnd);
    process.stdin.resume();
  }
  return {
    promise,
    dispose() {
      process.removeListener('SIGTERM', onTerm);
      process.removeListener('SIGINT', onInt);
      if (onStdinEnd) {
        process.stdin.removeListener('end', onEnd);
        process.stdin.pause();
        process.stdin.destroy();
      }
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
