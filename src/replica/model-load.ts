// Loading a replica's model (data plane, replica): opens the ONNX Runtime session (in a worker
// thread by default), checks it against model.yaml, builds the batcher and warms up, then turns the
// replica ready. Runs after the replica already listens, so its health endpoints answer meanwhile.
import { UserError, errorMessage } from '../common/errors.js';
import type { BatchingMode } from '../common/settings/table.js';
import type { ResolvedModel } from '../model/registry.js';
import { compareSignature } from '../model/verify.js';
import { BatchCostCurve, type CostPoint } from '../common/batching/adaptive-batching.js';
import { Batcher } from './batcher.js';
import type { ReplicaContext } from './context.js';
import type { ServedModel } from './served-model.js';
import { fileDigest } from './model-digest.js';
import { openSession, type DeviceRequest, type ModelSession } from './session.js';
import { openWorkerSession } from './worker-session.js';

/** What the replica reports once warm. */
export interface ReadyInfo {
  loadMs: number;
  device: 'cpu' | 'cuda';
  /** The digest of the model.onnx bytes loaded (model-digest.ts). */
  modelDigest: string;
  /** Why the requested device was not used, when it was not. */
  fallbackReason?: string;
}

/** The settings loading needs. */
export interface LoadSettings {
  device: DeviceRequest;
  threads: number;
  sessionWorker: boolean;
  maxBatchSize: number;
  batchWaitMs: number;
  batching: boolean;
  batchingMode: BatchingMode;
  maxQueuedRequests: number;
}

/**
 * Loads `resolved` for `ctx` and makes the replica ready; `onSession` receives the session as soon
 * as it is open (so a shutdown can release it). Rejects (UserError for a model that does not match
 * its model.yaml) and leaves the replica failed if anything goes wrong.
 */
export async function loadModel(
  ctx: ReplicaContext,
  resolved: ResolvedModel,
  s: LoadSettings,
  onSession: (session: ModelSession) => void,
): Promise<ReadyInfo> {
  const t0 = performance.now();
  const modelDigest = await fileDigest(resolved.onnxPath);
  const session = await open(ctx, resolved.onnxPath, s);
  onSession(session);
  // A file replaced while ORT read it (a rebuild during the load): the digest would not name the bytes loaded.
  if ((await fileDigest(resolved.onnxPath)) !== modelDigest)
    throw new UserError(
      `${resolved.onnxPath} changed while the replica loaded it: start the replica ` +
        `again once the model is written`,
    );
  if (session.fallbackReason) ctx.log.info(`cuda not available, running on cpu: ${session.fallbackReason}`);
  const problems = compareSignature(session.signature, resolved.spec);
  if (problems.length > 0)
    throw new UserError(`${resolved.onnxPath} does not match model.yaml: ${problems.join('; ')}`);
  const batcher = new Batcher(
    ctx.model,
    session,
    { maxBatchSize: s.maxBatchSize, batchWaitMs: s.batchWaitMs, batching: s.batching, mode: s.batchingMode },
    s.maxQueuedRequests,
    ctx.clock,
    ctx.log,
    {
      onQueueDepth: (n) => ctx.metrics.queueDepth.set(n),
      onBatch: (rows, inferMs) => {
        ctx.metrics.batchSize.observe(rows);
        ctx.metrics.inferenceS.observe(inferMs / 1000);
      },
    },
  );
  await warmUp(session, ctx.model, s.maxBatchSize);
  if (s.batching && s.batchingMode === 'adaptive' && s.maxBatchSize > 1) {
    const curve = await measureCostCurve(session, ctx.model, s.maxBatchSize);
    batcher.setCostCurve(curve);
    ctx.log.info('batch-cost curve', { points: curve.measured.map((p) => `${p.rows}:${p.ms.toFixed(3)}ms`).join(' ') });
  }
  const loadMs = performance.now() - t0;
  if (ctx.state !== 'loading') throw new Error(`replica was ${ctx.state} before it became ready`);
  ctx.batcher = batcher;
  ctx.modelDigest = modelDigest;
  ctx.state = 'ready';
  ctx.metrics.ready.set(1);
  ctx.metrics.modelLoadS.set(loadMs / 1000);
  ctx.log.info('ready', { loadMs: Math.round(loadMs), device: session.device });
  return {
    loadMs,
    device: session.device,
    modelDigest,
    ...(session.fallbackReason ? { fallbackReason: session.fallbackReason } : {}),
  };
}

function open(ctx: ReplicaContext, onnxPath: string, s: LoadSettings): Promise<ModelSession> {
  const options = { device: s.device, intraOpThreads: s.threads } as const;
  if (!s.sessionWorker) return openSession(onnxPath, options);
  return openWorkerSession(onnxPath, options, (err) => {
    // Without its session the replica cannot serve: say so, so the supervisor replaces it.
    ctx.log.error('session worker died; the replica is failed', { error: errorMessage(err) });
    ctx.state = 'failed';
    ctx.metrics.ready.set(0);
  });
}

/** Runs the model at batch 1 and at a full batch a few times so the first real request is not slow. */
async function warmUp(session: ModelSession, model: ServedModel, maxBatchSize: number): Promise<void> {
  for (const rows of [1, maxBatchSize, 1, maxBatchSize]) await session.run(zeroFeeds(model, rows));
}

function zeroFeeds(model: ServedModel, rows: number): Parameters<ModelSession['run']>[0] {
  const feeds: Parameters<ModelSession['run']>[0] = {};
  for (const t of model.inputs)
    feeds[t.name] = { type: t.dt.ortType, data: new t.dt.ctor(rows * t.rowElements), dims: [rows, ...t.rowShape] };
  return feeds;
}

/** Runs per batch size when measuring the cost curve; the median is kept. */
const CURVE_RUNS = 5;

/**
 * The batch-cost curve adaptive batching decides by: the median time of a model run (through the
 * session as the batcher calls it: a worker round trip included) at 1, 2, 4, ... rows up to
 * maxBatchSize. The demo model takes about 20 ms for all of it.
 */
export async function measureCostCurve(
  session: ModelSession,
  model: ServedModel,
  maxBatchSize: number,
): Promise<BatchCostCurve> {
  const sizes: number[] = [];
  for (let b = 1; b < maxBatchSize; b *= 2) sizes.push(b);
  sizes.push(maxBatchSize);
  const points: CostPoint[] = [];
  for (const rows of sizes) {
    const feeds = zeroFeeds(model, rows);
    const times: number[] = [];
    for (let i = 0; i < CURVE_RUNS; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    points.push({ rows, ms: times[Math.floor(CURVE_RUNS / 2)]! });
  }
  return new BatchCostCurve(points);
}
