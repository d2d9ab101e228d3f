import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { cosine, euclidean, getDistance } from '../../lib/distances';
import { assertNoLeak, assertTensorsClose } from '../helpers';

const A = [[0, 0], [3, 4], [1, 0]];
const B = [[0, 0], [0, 0], [0, 2]];

function eu(x: number[], y: number[]): number {
  return Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]) ** 2, 0));
}
function cos(x: number[], y: number[]): number {
  const dot = x.reduce((s, v, i) => s + v * y[i], 0);
  const n = (v: number[]): number => Math.max(Math.hypot(...v), 1e-6);
  return dot / (n(x) * n(y));
}

describe('distances', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('declare their direction', () => {
    assert.equal(euclidean.higherIsCloser, false);
    assert.equal(cosine.higherIsCloser, true);
    assert.equal(euclidean.identical, 0);
    assert.equal(cosine.identical, 1);
    assert.equal(getDistance('cosine'), cosine);
    assert.throws(() => getDistance('manhattan' as never), /Unknown distance "manhattan"; use one of euclidean, cosine/);
  });

  it('euclidean pairwise and matrix match plain loops', () => {
    const a = tf.tensor2d(A);
    const b = tf.tensor2d(B);
    assertTensorsClose(euclidean.pairwise(a, b), A.map((x, i) => Math.max(eu(x, B[i]), 1e-6)));
    assertTensorsClose(euclidean.matrix(a, b), A.map((x) => B.map((y) => Math.max(eu(x, y), 1e-6))));
    tf.dispose([a, b]);
  });

  it('cosine pairwise and matrix match plain loops (zero vectors give 0)', () => {
    const a = tf.tensor2d(A);
    const b = tf.tensor2d([[1, 1], [3, 4], [0, 2]]);
    const B2 = [[1, 1], [3, 4], [0, 2]];
    assertTensorsClose(cosine.pairwise(a, b), A.map((x, i) => cos(x, B2[i])));
    assertTensorsClose(cosine.matrix(a, b), A.map((x) => B2.map((y) => cos(x, y))));
    tf.dispose([a, b]);
  });

  it('layers compute the same values as the functions', () => {
    const a = tf.tensor2d(A);
    const b = tf.tensor2d([[1, 1], [3, 4], [0, 2]]);
    for (const d of [euclidean, cosine]) {
      const out = d.layer().apply([a, b]) as tf.Tensor;
      assert.deepEqual(out.shape, [3, 1]);
      assertTensorsClose(out.reshape([3]), d.pairwise(a, b), 1e-5);
    }
    tf.dispose([a, b]);
  });

  it('handle empty batches and reject bad shapes', () => {
    const e = tf.zeros([0, 2]) as tf.Tensor2D;
    assert.deepEqual(euclidean.pairwise(e, e).shape, [0]);
    assert.deepEqual(cosine.matrix(e, e).shape, [0, 0]);
    const a = tf.zeros([2, 3]) as tf.Tensor2D;
    const b = tf.zeros([2, 2]) as tf.Tensor2D;
    assert.throws(() => euclidean.pairwise(a, b), /same shape, got \[2, 3\] and \[2, 2\]/);
    assert.throws(() => cosine.matrix(a, b), /same embedding size/);
    assert.throws(() => euclidean.pairwise(tf.zeros([2]) as unknown as tf.Tensor2D, a), /a must be a 2-D \[n, dim\] tensor/);
  });

  it('do not leak tensors', () => {
    const a = tf.tensor2d(A);
    const b = tf.tensor2d(B);
    for (const d of [euclidean, cosine]) {
      assertNoLeak(() => d.pairwise(a, b));
      assertNoLeak(() => d.matrix(a, b));
    }
    tf.dispose([a, b]);
  });
});
