import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { euclideanDistanceLayer } from '../../lib/distances';
import { absoluteDifference, hardSigmoid, hardSwish } from '../../lib/models';
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

  it('do not leak tensors', () => {
    const x = tf.tensor2d([[1, -2]]);
    assertNoLeak(() => hardSwish().apply(x) as tf.Tensor);
    assertNoLeak(() => hardSigmoid().apply(x) as tf.Tensor);
    assertNoLeak(() => absoluteDifference().apply([x, x]) as tf.Tensor);
    assertNoLeak(() => euclideanDistanceLayer().apply([x, x]) as tf.Tensor);
    x.dispose();
  });
});
