import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { countParams, workshopCnn } from '../../lib/models';
import { assertNoLeak, assertTensorsClose } from '../helpers';

describe('workshopCnn', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('stays under 1 M parameters: 369 408 trainable at the defaults', () => {
    const c = countParams(workshopCnn());
    assert.equal(c.trainable, 369_408);
    assert.ok(c.total < 1_000_000);
  });

  it('outputs embeddingDim features and is seeded', () => {
    const cfg = { inputSize: 16, filters: [4, 8], kernelSizes: [3, 3], embeddingDim: 8 };
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 1);
    const a = workshopCnn({ ...cfg, seed: 1 }).predict(x) as tf.Tensor;
    const b = workshopCnn({ ...cfg, seed: 1 }).predict(x) as tf.Tensor;
    assert.deepEqual(a.shape, [2, 8]);
    assertTensorsClose(b, a, 0);
  });

  it('a few SGD steps on the cpu backend lower a contrastive-style loss', () => {
    const m = workshopCnn({ inputSize: 16, filters: [4, 8], kernelSizes: [3, 3], embeddingDim: 8, seed: 2 });
    const x = tf.randomUniform([4, 16, 16, 3], 0, 1, 'float32', 2);
    const opt = tf.train.sgd(0.05);
    const loss = (): tf.Scalar => tf.mean(tf.square(m.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;
    const first = loss().dataSync()[0];
    for (let i = 0; i < 5; i++) opt.minimize(loss);
    assert.ok(loss().dataSync()[0] < first);
  });

  it('rejects inconsistent configs', () => {
    assert.throws(() => workshopCnn({ filters: [8, 8], kernelSizes: [3] }), /kernelSizes must list one positive integer per block \(2\)/);
    assert.throws(() => workshopCnn({ inputSize: 40 }), /inputSize must be a positive multiple of 16 \(2\^blocks\), got 40/);
  });

  it('predict does not leak', () => {
    const m = workshopCnn({ inputSize: 16, filters: [4, 8], kernelSizes: [3, 3], embeddingDim: 8 });
    const x = tf.zeros([1, 16, 16, 3]);
    assertNoLeak(() => m.predict(x) as tf.Tensor);
    x.dispose();
  });
});
