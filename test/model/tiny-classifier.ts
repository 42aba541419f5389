// A small classifier that is not the demo model (test helper): MatMul + Add + Relu + Gemm (transB,
// alpha, beta), written with the onnx-proto library, so optimize and compare meet a second graph.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seededRandom } from '../../src/common/random.js';
import { encodeModel, floatTensor, intAttr, type ModelProto } from '../../src/model/optimize/onnx-model.js';
import { loadVersion, type ResolvedModel } from '../../src/model/registry.js';
import { formatModelYaml } from '../../src/model/spec-yaml.js';

export interface TinyClassifierOptions {
  seed?: number;
  features?: number;
  hidden?: number;
  classes?: number;
}

const FLOAT = 1;
const uniform = (rand: () => number, n: number, bound: number) =>
  Float32Array.from({ length: n }, () => (rand() * 2 - 1) * bound);

function valueInfo(name: string, dims: (number | string)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** The model as a ModelProto: features [batch, F] -> scores [batch, C]. */
export function tinyClassifier(opts: TinyClassifierOptions = {}): ModelProto {
  const { seed = 7, features: F = 16, hidden: H = 32, classes: C = 4 } = opts;
  const rand = seededRandom(seed);
  return {
    irVersion: 8,
    producerName: 'serve-test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'tiny_classifier',
      node: [
        { opType: 'MatMul', name: 'hidden', input: ['features', 'w1'], output: ['h0'] },
        { opType: 'Add', name: 'hidden_bias', input: ['h0', 'b1'], output: ['h1'] },
        { opType: 'Relu', name: 'relu', input: ['h1'], output: ['h2'] },
        {
          opType: 'Gemm',
          name: 'head',
          input: ['h2', 'w2', 'b2'],
          output: ['scores'],
          attribute: [intAttr('transB', 1), { name: 'alpha', f: 0.5, type: 1 }, { name: 'beta', f: 2, type: 1 }],
        },
      ],
      initializer: [
        floatTensor('w1', [F, H], uniform(rand, F * H, 2 / Math.sqrt(F))),
        floatTensor('b1', [H], uniform(rand, H, 0.1)),
        floatTensor('w2', [C, H], uniform(rand, C * H, 2 / Math.sqrt(H))),
        floatTensor('b2', [C], uniform(rand, C, 0.05)),
      ],
      input: [valueInfo('features', ['batch', F])],
      output: [valueInfo('scores', ['batch', C])],
    },
  };
}

/** Writes the classifier as `name`@`version` into a registry. */
export async function writeTinyClassifier(
  registryDir: string,
  name: string,
  version: number,
  opts: TinyClassifierOptions = {},
): Promise<ResolvedModel> {
  const { features = 16, classes = 4 } = opts;
  const dir = path.join(registryDir, name, String(version));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.onnx'), encodeModel(tinyClassifier(opts)));
  await writeFile(
    path.join(dir, 'model.yaml'),
    formatModelYaml({
      name,
      version,
      description: 'tiny MatMul+Gemm classifier (test)',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, features] }],
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, classes] }],
    }),
  );
  return loadVersion(registryDir, name, version);
}
