// Options and seeded weights of the demo CNN+LSTM (model plane). The same options always give the
// same weights, which the ONNX builder and the tests' reference forward pass both consume.
import { UserError } from '../common/errors.js';
import { seededRandom as mulberry32 } from '../common/random.js';
import { uniformFloats } from './prng.js';

/** Shape of the demo model. Defaults: 16 features, 60 steps, 32 channels, hidden 64, 1 layer. */
export interface DemoShapeOptions {
  /** Features per time step (last input axis). */
  features?: number;
  /** Time steps per sample (the window). */
  window?: number;
  /** Conv1d output channels. */
  channels?: number;
  /** LSTM hidden size. */
  hidden?: number;
  /** Stacked LSTM layers. */
  layers?: number;
  /** PRNG seed of the weights. */
  seed?: number;
}

export type DemoShape = Required<DemoShapeOptions>;

export const DEMO_DEFAULTS: DemoShape = {
  features: 16,
  window: 60,
  channels: 32,
  hidden: 64,
  layers: 1,
  seed: 20240601,
};
/** Output classes, in output order. */
export const DEMO_CLASSES = ['sell', 'hold', 'buy'] as const;
/** Conv1d kernel width (same padding of 1 on each side). */
export const DEMO_KERNEL = 3;

const LIMITS: Record<keyof Omit<DemoShape, 'seed'>, number> = {
  features: 1024,
  window: 10_000,
  channels: 4096,
  hidden: 4096,
  layers: 16,
};

/** One LSTM layer in ONNX layouts: W [4H, in], R [4H, H], B [8H] (Wb then Rb), gate order i, o, f, c. */
export interface LstmLayerWeights {
  inputSize: number;
  W: Float32Array;
  R: Float32Array;
  B: Float32Array;
}

export interface DemoWeights {
  shape: DemoShape;
  /** Conv weight [channels, features, kernel] and bias [channels]. */
  convW: Float32Array;
  convB: Float32Array;
  lstm: LstmLayerWeights[];
  /** Linear weight [3, hidden] (row per class) and bias [3]. */
  fcW: Float32Array;
  fcB: Float32Array;
  /** Per-feature normalization written to model.yaml (applied by the server, not in the graph). */
  mean: number[];
  std: number[];
}

/** Fills defaults and checks ranges; errors name the option (the CLI flag has the same name). */
export function resolveDemoShape(opts: DemoShapeOptions = {}): DemoShape {
  const shape = { ...DEMO_DEFAULTS };
  for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const v = opts[key];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1 || v > LIMITS[key]) {
      throw new UserError(`--${key} must be a whole number from 1 to ${LIMITS[key]}, got ${v}`);
    }
    shape[key] = v;
  }
  if (opts.seed !== undefined) {
    if (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff)
      throw new UserError(`--seed must be a whole number from 0 to 4294967295, got ${opts.seed}`);
    shape.seed = opts.seed;
  }
  return shape;
}

/**
 * Seeded weights, each uniform in ±1/sqrt(fan_in) like PyTorch's default init, so activations stay
 * in the sigmoid/tanh working range and the softmax is not saturated.
 */
export function generateDemoWeights(shape: DemoShape): DemoWeights {
  const rand = mulberry32(shape.seed);
  const { features: F, channels: C, hidden: H } = shape;
  const convBound = 1 / Math.sqrt(F * DEMO_KERNEL);
  const convW = uniformFloats(rand, C * F * DEMO_KERNEL, convBound);
  const convB = uniformFloats(rand, C, convBound);
  const lstm: LstmLayerWeights[] = [];
  const lstmBound = 1 / Math.sqrt(H);
  for (let l = 0; l < shape.layers; l++) {
    const inputSize = l === 0 ? C : H;
    lstm.push({
      inputSize,
      W: uniformFloats(rand, 4 * H * inputSize, lstmBound),
      R: uniformFloats(rand, 4 * H * H, lstmBound),
      B: uniformFloats(rand, 8 * H, lstmBound),
    });
  }
  // A wider head than 1/sqrt(H) so the three probabilities differ visibly between inputs.
  const fcBound = 4 / Math.sqrt(H);
  const fcW = uniformFloats(rand, DEMO_CLASSES.length * H, fcBound);
  const fcB = uniformFloats(rand, DEMO_CLASSES.length, 1 / Math.sqrt(H));
  const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
  const mean = Array.from({ length: F }, () => round4(rand() - 0.5));
  const std = Array.from({ length: F }, () => round4(0.5 + rand()));
  return { shape, convW, convB, lstm, fcW, fcB, mean, std };
}
