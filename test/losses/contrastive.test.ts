import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { IsSame } from '../../lib/data/types';
import { contrastiveFromValues, contrastiveLoss } from '../../lib/losses';
import { assertNoLeak } from '../helpers';

/** Unit 2-D embeddings at the given angles (degrees), scaled. */
function fromAngles(deg: number[], r = 1): number[][] {
  return deg.map((d) => [r * Math.cos((d * Math.PI) / 180), r * Math.sin((d * Math.PI) / 180)]);
}
const A = fromAngles([0, 20, 40, 60, 80], 1.5);
const B = fromAngles([10, 100, 40, 200, 300], 1);
const Y: IsSame[] = [1, 0, 1, 0, 1];

function expected(margin: number, dist: 'euclidean' | 'cosine', reduction: 'mean' | 'meanNonZero' | 'sum'): number {
  const terms: number[] = [];
  for (let i = 0; i < A.length; i++) {
    const [a, b] = [A[i], B[i]];
    let t: number;
    if (dist === 'euclidean') {
      const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
      t = Y[i] === 1 ? d * d : Math.max(margin - d, 0) ** 2;
    } else {
      const s = (a[0] * b[0] + a[1] * b[1]) / (Math.hypot(...a) * Math.hypot(...b));
      t = Y[i] === 1 ? Math.max(1 - s, 0) ** 2 : Math.max(s - margin, 0) ** 2;
    }
    terms.push(t);
  }
  const sum = terms.reduce((s, v) => s + v, 0);
  if (reduction === 'sum') return sum;
  if (reduction === 'mean') return sum / terms.length;
  return sum / Math.max(terms.filter((v) => v > 0).length, 1);
}

describe('contrastiveLoss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const margin of [1, 2]) {
    for (const reduction of ['mean', 'meanNonZero', 'sum'] as const) {
      it(`euclidean, margin ${margin}, ${reduction}: matches plain loops`, () => {
        const got = contrastiveLoss(tf.tensor2d(A), tf.tensor2d(B), Y, { margin, reduction }).dataSync()[0];
        assert.ok(Math.abs(got - expected(margin, 'euclidean', reduction)) < 1e-5, `${got}`);
      });
    }
  }

  it('cosine (a similarity) flips the hinges: matches plain loops', () => {
    const got = contrastiveLoss(tf.tensor2d(A), tf.tensor2d(B), tf.tensor1d(Y), { margin: 0.3, distance: 'cosine' }).dataSync()[0];
    assert.ok(Math.abs(got - expected(0.3, 'cosine', 'mean')) < 1e-5, `${got}`);
  });

  it("reduction 'none' gives one term per pair; meanNonZero ignores satisfied pairs", () => {
    const terms = contrastiveLoss(tf.tensor2d(A), tf.tensor2d(B), Y, { reduction: 'none' });
    assert.deepEqual(terms.shape, [5]);
    const vals = Array.from(terms.dataSync());
    assert.equal(vals[1], 0, 'different pair beyond margin 1 costs nothing');
    assert.equal(vals[3], 0);
  });

  it('identical same-person pairs and far different-person pairs cost about 0', () => {
    const x = tf.tensor2d([[1, 2], [3, -1]]);
    assert.ok(contrastiveLoss(x, x, [1, 1]).dataSync()[0] < 1e-10);
    const far = tf.tensor2d([[10, 2], [-30, -1]]);
    assert.equal(contrastiveLoss(x, far, [0, 0], { margin: 2 }).dataSync()[0], 0);
    assert.ok(contrastiveLoss(x, x, [1, 1], { distance: 'cosine' }).dataSync()[0] < 1e-10);
  });

  it('label 1 means same person: a close pair labelled 0 costs, labelled 1 barely', () => {
    const a = tf.tensor2d([[0, 0]]);
    const b = tf.tensor2d([[0.1, 0]]);
    assert.ok(contrastiveLoss(a, b, [0]).dataSync()[0] > 0.8);
    assert.ok(contrastiveLoss(a, b, [1]).dataSync()[0] < 0.02);
  });

  it('an empty batch gives 0, not NaN, for every reduction', () => {
    const e = tf.zeros([0, 2]) as tf.Tensor2D;
    for (const reduction of ['mean', 'meanNonZero', 'sum'] as const) {
      assert.equal(contrastiveLoss(e, e, [], { reduction }).dataSync()[0], 0);
    }
    assert.deepEqual(contrastiveLoss(e, e, [], { reduction: 'none' }).shape, [0]);
  });

  it('from values: the curve used in notebook 04', () => {
    const d = tf.tensor1d([0, 0.5, 1, 1.5]);
    assert.deepEqual(Array.from(contrastiveFromValues(d, [1, 1, 1, 1], { reduction: 'none' }).dataSync()), [0, 0.25, 1, 2.25]);
    assert.deepEqual(Array.from(contrastiveFromValues(d, [0, 0, 0, 0], { reduction: 'none' }).dataSync()), [1, 0.25, 0, 0]);
  });

  it('rejects bad input with clear messages', () => {
    const a = tf.tensor2d(A);
    const b = tf.tensor2d(B);
    assert.throws(() => contrastiveLoss(a, b, [1, 0] as IsSame[]), /isSame has 2 labels for 5 pairs/);
    assert.throws(() => contrastiveLoss(a, b, [1, 0, 2, 0, 1] as unknown as IsSame[]), /isSame\[2\] = 2; labels must be 0/);
    assert.throws(() => contrastiveLoss(a, b, Y, { margin: NaN }), /margin must be a finite number, got NaN/);
    assert.throws(() => contrastiveLoss(a, b, Y, { reduction: 'avg' as never }), /reduction must be one of mean, meanNonZero, sum, none, got "avg"/);
    assert.throws(() => contrastiveLoss(a, tf.tensor2d([[1, 2]]), Y), /same shape/);
  });

  it('does not leak tensors', () => {
    const a = tf.tensor2d(A);
    const b = tf.tensor2d(B);
    const y = tf.tensor1d(Y, 'int32');
    assertNoLeak(() => contrastiveLoss(a, b, y));
    assertNoLeak(() => contrastiveLoss(a, b, Y, { distance: 'cosine', reduction: 'meanNonZero' }));
    tf.dispose([a, b, y]);
  });

  it('has finite gradients, even for identical embeddings', () => {
    const a = tf.tensor2d([[1, 2], [0, 0]]);
    const g = tf.grad((x: tf.Tensor) => contrastiveLoss(x as tf.Tensor2D, a, [1, 0]) as tf.Scalar)(a);
    assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
  });
});
