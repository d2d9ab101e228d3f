import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { bceLoss } from '../../lib/losses';
import { assertNoLeak } from '../helpers';

describe('bceLoss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('matches -[y log p + (1-y) log(1-p)] computed by hand', () => {
    const p = [0.9, 0.2, 0.6, 0.01];
    const y = [1, 0, 0, 1] as const;
    const terms = p.map((v, i) => -(y[i] * Math.log(v) + (1 - y[i]) * Math.log(1 - v)));
    const got = bceLoss(tf.tensor2d(p, [4, 1]), [...y]).dataSync()[0];
    assert.ok(Math.abs(got - terms.reduce((s, v) => s + v, 0) / 4) < 1e-5, `${got}`);
    const none = Array.from(bceLoss(tf.tensor1d(p), [...y], { reduction: 'none' }).dataSync());
    none.forEach((v, i) => assert.ok(Math.abs(v - terms[i]) < 1e-4));
  });

  it('confident right answers cost about 0; p = 0 or 1 stays finite', () => {
    assert.ok(bceLoss(tf.tensor1d([1, 0]), [1, 0]).dataSync()[0] < 1e-6);
    const wrong = bceLoss(tf.tensor1d([0, 1]), [1, 0]).dataSync()[0];
    assert.ok(Number.isFinite(wrong) && wrong > 15);
  });

  it('an empty batch gives 0; bad shapes are rejected', () => {
    assert.equal(bceLoss(tf.zeros([0]), []).dataSync()[0], 0);
    assert.throws(() => bceLoss(tf.zeros([2, 2]), [1, 0]), /\[n\] or \[n, 1\], got shape \[2, 2\]/);
    assert.throws(() => bceLoss(tf.zeros([2]), [1]), /isSame has 1 labels for 2 pairs/);
  });

  it('does not leak tensors', () => {
    const p = tf.tensor1d([0.3, 0.7]);
    assertNoLeak(() => bceLoss(p, [1, 0]));
    p.dispose();
  });
});
