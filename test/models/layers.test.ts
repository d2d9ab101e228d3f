import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { euclideanDistanceLayer } from '../../lib/distances';
import { absoluteDifference, hardSigmoid, hardSwish } from '../../lib/models';
import { initBackend } from '../../lib/backend';
import { paddedConv2d, paddedDepthwiseConv2d, type ExplicitPadding2D } from '../../lib/models/layers/padded-conv';
import { assertNoLeak, assertTensorsClose } from '../helpers';

describe('custom layers', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('hard swish and hard sigmoid follow relu6(x + 3) / 6', () => {
    const xs = [-4, -3, -1, 0, 1, 3, 4];
    const hsig = xs.map((x) => Math.min(Math.max(x + 3, 0), 6) / 6);
    const x = tf.tensor1d(xs);
    assertTensorsClose(hardSigmoid().apply(x) as tf.Tensor, hsig);
    assertTensorsClose(hardSwish().apply(x) as tf.Tensor, xs.map((v, i) => v * hsig[i]));
  });

  it('absolute difference and euclidean distance layers', () => {
    const a = tf.tensor2d([[1, 2], [0, 0]]);
    const b = tf.tensor2d([[4, -2], [0, 0]]);
    assertTensorsClose(absoluteDifference().apply([a, b]) as tf.Tensor, [[3, 4], [0, 0]]);
    assertTensorsClose(euclideanDistanceLayer().apply([a, b]) as tf.Tensor, [[5], [1e-6]]);
    assert.throws(() => euclideanDistanceLayer().apply([tf.input({ shape: [2] }), tf.input({ shape: [3] })]), /same d/);
  });

  it('round-trip through a saved model config (registered classes)', async () => {
    const inp = tf.input({ shape: [3] });
    const inp2 = tf.input({ shape: [3] });
    const h = hardSwish({ name: 'hs' }).apply(inp) as tf.SymbolicTensor;
    const g = hardSigmoid({ name: 'hg' }).apply(inp2) as tf.SymbolicTensor;
    const d = absoluteDifference({ name: 'ad' }).apply([h, g]) as tf.SymbolicTensor;
    const e = euclideanDistanceLayer({ name: 'ed', epsilon: 1e-9 }).apply([h, g]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [inp, inp2], outputs: [d, e] });
    const copy = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as {} });
    assert.deepEqual(copy.layers.map((l) => l.getClassName()), model.layers.map((l) => l.getClassName()));
    assert.equal((copy.getLayer('ed').getConfig() as { epsilon: number }).epsilon, 1e-9);
    const x = [tf.tensor2d([[1, -2, 5]]), tf.tensor2d([[0, 1, -4]])];
    const [y1, y2] = model.predict(x) as tf.Tensor[];
    const [z1, z2] = copy.predict(x) as tf.Tensor[];
    assertTensorsClose(z1, y1, 0);
    assertTensorsClose(z2, y2, 0);
  });

  it("hard sigmoid registers as 'HardSigmoid', and model.json files that name the old 'HardSigmoid6' still load", async () => {
    const inp = tf.input({ shape: [3] });
    const model = tf.model({ inputs: inp, outputs: hardSigmoid({ name: 'hg' }).apply(inp) as tf.SymbolicTensor });
    const topology = model.toJSON(null, false) as { config: { layers: { class_name: string }[] } };
    assert.ok(topology.config.layers.some((l) => l.class_name === 'HardSigmoid'));
    const old = JSON.parse(JSON.stringify(topology).replace(/"class_name":"HardSigmoid"/g, '"class_name":"HardSigmoid6"'));
    const loaded = await tf.models.modelFromJSON({ modelTopology: old });
    const x = tf.tensor2d([[-4, 0, 1]]);
    assertTensorsClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 0);
  });

  it('padded convolutions equal ZeroPadding2D then a valid conv: outputs and gradients, cpu and wasm; they save and load', async () => {
    const cases: { depthwise: boolean; pads: ExplicitPadding2D; shape: number[]; k: number; stride: number }[] = [
      { depthwise: false, pads: [[0, 1], [0, 1]], shape: [2, 8, 8, 3], k: 3, stride: 2 },
      { depthwise: false, pads: [[1, 1], [1, 1]], shape: [1, 7, 9, 2], k: 3, stride: 2 },
      { depthwise: true, pads: [[0, 1], [0, 1]], shape: [2, 10, 10, 5], k: 3, stride: 2 },
      { depthwise: true, pads: [[1, 2], [1, 2]], shape: [2, 8, 8, 6], k: 5, stride: 2 },
      { depthwise: true, pads: [[2, 2], [2, 2]], shape: [1, 7, 7, 4], k: 5, stride: 2 },
      { depthwise: true, pads: [[0, 2], [1, 0]], shape: [1, 6, 5, 3], k: 3, stride: 1 },
    ];
    await initBackend({ backend: 'wasm', quiet: true }); // the project's kernels for the padded shapes, against cpu
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      try {
        for (const c of cases) {
          const label = `${backend} ${c.depthwise ? 'depthwise' : 'conv'} k${c.k}/${c.stride} ${JSON.stringify(c.pads)} [${c.shape}]`;
          const init = tf.initializers.randomNormal({ mean: 0, stddev: 1, seed: 5 });
          const common = { kernelSize: c.k, strides: c.stride, useBias: false };
          const padded = c.depthwise ? paddedDepthwiseConv2d({ ...common, depthwiseInitializer: init, explicitPadding: c.pads })
            : paddedConv2d({ ...common, filters: 4, kernelInitializer: init, explicitPadding: c.pads });
          const conv = c.depthwise ? tf.layers.depthwiseConv2d({ ...common, padding: 'valid' }) : tf.layers.conv2d({ ...common, filters: 4, padding: 'valid' });
          const zp = tf.layers.zeroPadding2d({ padding: c.pads });
          const x = tf.randomNormal(c.shape, 0, 1, 'float32', 9);
          const viaPadded = (t: tf.Tensor) => padded.apply(t) as tf.Tensor;
          const viaLayers = (t: tf.Tensor) => conv.apply(zp.apply(t) as tf.Tensor) as tf.Tensor;
          tf.dispose([viaPadded(x), viaLayers(x)]); // builds both
          conv.setWeights(padded.getWeights());
          const ya = viaPadded(x), yb = viaLayers(x);
          assert.deepEqual(ya.shape, yb.shape, label);
          assert.deepEqual(padded.computeOutputShape(c.shape), yb.shape, `${label}: computeOutputShape`);
          assertTensorsClose(ya, yb, 1e-5);
          const r = tf.randomNormal(ya.shape, 0, 1, 'float32', 11);
          const gw = (f: (t: tf.Tensor) => tf.Tensor, layer: tf.layers.Layer) => tf.variableGrads(() => tf.sum(tf.mul(f(x), r)) as tf.Scalar,
            layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val)).grads;
          const ga = Object.values(gw(viaPadded, padded)), gb = Object.values(gw(viaLayers, conv));
          assertTensorsClose(ga[0], gb[0], 1e-4);
          const dxa = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(viaPadded(t), r)))(x), dxb = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(viaLayers(t), r)))(x);
          assertTensorsClose(dxa, dxb, 1e-4);
          tf.dispose([x, ya, yb, r, ...ga, ...gb, dxa, dxb]);
        }
      } finally {
        await tf.setBackend('cpu');
      }
    }
    const inp = tf.input({ shape: [8, 8, 3] });
    const out = paddedDepthwiseConv2d({ kernelSize: 3, strides: 2, explicitPadding: [[0, 1], [0, 1]], name: 'pdw' }).apply(
      paddedConv2d({ filters: 4, kernelSize: 3, strides: 2, explicitPadding: [[1, 1], [1, 1]], name: 'pc' }).apply(inp)) as tf.SymbolicTensor;
    assert.deepEqual(out.shape, [null, 2, 2, 4]);
    const model = tf.model({ inputs: inp, outputs: out });
    const copy = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as {} });
    assert.deepEqual((copy.getLayer('pdw').getConfig() as { explicitPadding: number[][] }).explicitPadding, [[0, 1], [0, 1]]);
    assert.deepEqual((copy.getLayer('pc').getConfig() as { explicitPadding: number[][] }).explicitPadding, [[1, 1], [1, 1]]);
    assert.throws(() => paddedConv2d({ filters: 1, kernelSize: 3, explicitPadding: [[1, -1], [0, 0]], name: 'bad' }), /PaddedConv2D bad: explicitPadding must be/);
    assert.throws(() => paddedDepthwiseConv2d({ kernelSize: 3, padding: 'same', explicitPadding: [[1, 1], [1, 1]] }), /padding must be 'valid'/);
    assert.throws(() => paddedConv2d({ filters: 1, kernelSize: 3, dataFormat: 'channelsFirst', explicitPadding: [[1, 1], [1, 1]], name: 'nchw' }),
      /PaddedConv2D nchw: computes channelsLast \(NHWC\) only, got dataFormat "channelsFirst"/);
    assert.throws(() => paddedDepthwiseConv2d({ kernelSize: 3, dataFormat: 'channelsFirst', explicitPadding: [[1, 1], [1, 1]] }), /channelsLast \(NHWC\) only/);
  });

  it('do not leak tensors', () => {
    const x = tf.tensor2d([[1, -2]]);
    assertNoLeak(() => hardSwish().apply(x) as tf.Tensor);
    assertNoLeak(() => hardSigmoid().apply(x) as tf.Tensor);
    assertNoLeak(() => absoluteDifference().apply([x, x]) as tf.Tensor);
    assertNoLeak(() => euclideanDistanceLayer().apply([x, x]) as tf.Tensor);
    x.dispose();
  });
});
