// The demo CNN+LSTM as an ONNX graph (model plane): Transpose → Conv1d+ReLU → Transpose →
// LSTM (stacked) → last hidden state → Gemm → Softmax. Opset 17, IR version 8.
import { DEMO_CLASSES, DEMO_KERNEL, type DemoWeights } from './demo-weights.js';
import { encodeModel, OnnxDataType, type OnnxInitializer, type OnnxNode } from './onnx-proto.js';

export const DEMO_OPSET = 17;
export const DEMO_IR_VERSION = 8;
export const DEMO_INPUT = 'x';
export const DEMO_OUTPUT = 'probs';

/** The ONNX bytes of the demo model for `w`. Deterministic: no timestamps, fixed field order. */
export function encodeDemoGraph(w: DemoWeights): Uint8Array {
  const { features: F, window: T, channels: C, hidden: H, layers: L } = w.shape;
  const nodes: OnnxNode[] = [
    {
      opType: 'Transpose',
      name: 'to_channels_first',
      inputs: [DEMO_INPUT],
      outputs: ['x_ncw'],
      attributes: { perm: [0, 2, 1] },
    },
    {
      opType: 'Conv',
      name: 'conv1d',
      inputs: ['x_ncw', 'conv.weight', 'conv.bias'],
      outputs: ['conv_out'],
      attributes: { kernel_shape: [DEMO_KERNEL], pads: [1, 1], strides: [1], dilations: [1], group: 1 },
    },
    { opType: 'Relu', name: 'relu', inputs: ['conv_out'], outputs: ['relu_out'] },
    {
      opType: 'Transpose',
      name: 'to_time_major',
      inputs: ['relu_out'],
      outputs: ['seq0'],
      attributes: { perm: [2, 0, 1] },
    },
  ];
  const inits: OnnxInitializer[] = [
    { name: 'conv.weight', dims: [C, F, DEMO_KERNEL], data: w.convW },
    { name: 'conv.bias', dims: [C], data: w.convB },
  ];
  w.lstm.forEach((layer, l) => {
    const last = l === L - 1;
    const p = `lstm${l}`;
    inits.push(
      { name: `${p}.W`, dims: [1, 4 * H, layer.inputSize], data: layer.W },
      { name: `${p}.R`, dims: [1, 4 * H, H], data: layer.R },
      { name: `${p}.B`, dims: [1, 8 * H], data: layer.B },
    );
    // Only the last layer's Y_h is needed; earlier layers feed their full Y sequence onward.
    nodes.push({
      opType: 'LSTM',
      name: p,
      inputs: [`seq${l}`, `${p}.W`, `${p}.R`, `${p}.B`],
      outputs: last ? ['', 'h_last'] : [`${p}_Y`],
      attributes: { hidden_size: H, direction: 'forward', layout: 0 },
    });
    if (!last)
      nodes.push({ opType: 'Squeeze', name: `${p}_squeeze`, inputs: [`${p}_Y`, 'axes_1'], outputs: [`seq${l + 1}`] });
  });
  if (L > 1) inits.push({ name: 'axes_1', dims: [1], data: { int64: [1] } });
  inits.push(
    { name: 'axes_0', dims: [1], data: { int64: [0] } },
    { name: 'fc.weight', dims: [DEMO_CLASSES.length, H], data: w.fcW },
    { name: 'fc.bias', dims: [DEMO_CLASSES.length], data: w.fcB },
  );
  nodes.push(
    { opType: 'Squeeze', name: 'drop_direction', inputs: ['h_last', 'axes_0'], outputs: ['h'] },
    {
      opType: 'Gemm',
      name: 'fc',
      inputs: ['h', 'fc.weight', 'fc.bias'],
      outputs: ['logits'],
      attributes: { transB: 1 },
    },
    { opType: 'Softmax', name: 'softmax', inputs: ['logits'], outputs: [DEMO_OUTPUT], attributes: { axis: -1 } },
  );
  return encodeModel(
    {
      name: 'cnn_lstm',
      nodes,
      initializers: inits,
      inputs: [{ name: DEMO_INPUT, elemType: OnnxDataType.FLOAT, dims: ['batch', T, F] }],
      outputs: [{ name: DEMO_OUTPUT, elemType: OnnxDataType.FLOAT, dims: ['batch', DEMO_CLASSES.length] }],
    },
    {
      irVersion: DEMO_IR_VERSION,
      opsetVersion: DEMO_OPSET,
      producerName: 'serve',
      producerVersion: '1',
      docString:
        `serve demo CNN+LSTM: x [batch, ${T}, ${F}] -> probs [batch, 3] (sell, hold, ` +
        `buy); seeded, untrained weights (seed ${w.shape.seed})`,
    },
  );
}
