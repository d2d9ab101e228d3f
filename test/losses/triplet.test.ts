import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { tripletLoss } from '../../lib/losses';
import { assertNoLeak } from '../helpers';

const E = [0, 15, 50, 90, 100, 200].map((d) => [Math.cos((d * Math.PI) / 180), Math.sin((d * Math.PI) / 180)]);
const L = [0, 0, 1, 1, 1, 2]; // person 2 has one image: an anchor without positives

function dist(x: number[], y: number[], kind: 'euclidean' | 'cosine'): number {
  if (kind === 'euclidean') return Math.hypot(x[0] - y[0], x[1] - y[1]);
  return -(x[0] * y[0] + x[1] * y[1]) / (Math.hypot(...x) * Math.hypot(...y)); // larger = farther
}

function batchHard(m: number, kind: 'euclidean' | 'cosine'): number[] {
  const terms: number[] = [];
  for (let a = 0; a < E.length; a++) {
    let hp = -Infinity;
    let hn = Infinity;
    for (let j = 0; j < E.length; j++) {
      if (j === a) continue;
      const d = dist(E[a], E[j], kind);
      if (L[j] === L[a]) hp = Math.max(hp, d);
      else hn = Math.min(hn, d);
    }
    if (hp > -Infinity && hn < Infinity) terms.push(Math.max(hp - hn + m, 0));
  }
  return terms;
}

function allTriplets(m: number): number[] {
  const terms: number[] = [];
  for (let a = 0; a < E.length; a++) {
    for (let p = 0; p < E.length; p++) {
      if (p === a || L[p] !== L[a]) continue;
      for (let n = 0; n < E.length; n++) {
        if (L[n] === L[a]) continue;
        terms.push(Math.max(dist(E[a], E[p], 'euclidean') - dist(E[a], E[n], 'euclidean') + m, 0));
      }
    }
  }
  return terms;
}

const mean = (v: number[]): number => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : 0);
const meanNonZero = (v: number[]): number => mean(v.filter((x) => x > 0)) * 1;

describe('tripletLoss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const m of [0.2, 1]) {
    it(`batch-hard, euclidean, margin ${m}: matches plain loops (anchor without positive skipped)`, () => {
      const got = tripletLoss(tf.tensor2d(E), L, { margin: m }).dataSync()[0];
      assert.ok(Math.abs(got - mean(batchHard(m, 'euclidean'))) < 1e-5, `${got} vs ${mean(batchHard(m, 'euclidean'))}`);
    });
  }

  it('batch-hard, cosine similarity: matches plain loops', () => {
    const got = tripletLoss(tf.tensor2d(E), tf.tensor1d(L, 'int32'), { margin: 0.5, distance: 'cosine' }).dataSync()[0];
    assert.ok(Math.abs(got - mean(batchHard(0.5, 'cosine'))) < 1e-5, `${got}`);
  });

  it('all triplets, mean and meanNonZero: match plain loops', () => {
    const t = allTriplets(0.2);
    assert.ok(Math.abs(tripletLoss(tf.tensor2d(E), L, { mining: 'all' }).dataSync()[0] - mean(t)) < 1e-5);
    const nz = tripletLoss(tf.tensor2d(E), L, { mining: 'all', reduction: 'meanNonZero' }).dataSync()[0];
    assert.ok(Math.abs(nz - meanNonZero(t)) < 1e-5, `${nz} vs ${meanNonZero(t)}`);
  });

  it('no valid triplet (one person, or all different, or empty) gives 0, not NaN', () => {
    assert.equal(tripletLoss(tf.tensor2d(E), [3, 3, 3, 3, 3, 3]).dataSync()[0], 0);
    assert.equal(tripletLoss(tf.tensor2d(E), [0, 1, 2, 3, 4, 5]).dataSync()[0], 0);
    assert.equal(tripletLoss(tf.zeros([0, 2]) as tf.Tensor2D, []).dataSync()[0], 0);
    assert.equal(tripletLoss(tf.zeros([0, 2]) as tf.Tensor2D, [], { mining: 'all' }).dataSync()[0], 0);
  });

  it('well-separated people cost 0', () => {
    const e = tf.tensor2d([[0, 0], [0, 0.01], [5, 5], [5, 5.01]]);
    assert.equal(tripletLoss(e, [0, 0, 1, 1], { margin: 1 }).dataSync()[0], 0);
  });

  it('rejects mismatched labels and bad options', () => {
    assert.throws(() => tripletLoss(tf.tensor2d(E), [0, 1]), /labels must be a 1-D list of 6 person ids/);
    assert.throws(() => tripletLoss(tf.tensor2d(E), L, { mining: 'semiHard' as never }), /mining must be 'batchHard' or 'all'/);
    assert.throws(() => tripletLoss(tf.tensor1d([1, 2]) as unknown as tf.Tensor2D, [0, 1]), /embeddings must be a 2-D/);
  });

  it('does not leak tensors, and has finite gradients', () => {
    const e = tf.tensor2d(E);
    assertNoLeak(() => tripletLoss(e, L));
    assertNoLeak(() => tripletLoss(e, L, { mining: 'all', distance: 'cosine' }));
    const g = tf.grad((x: tf.Tensor) => tripletLoss(x as tf.Tensor2D, L) as tf.Scalar)(e);
    assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
    assert.ok(Array.from(g.dataSync()).some((v) => v !== 0));
    e.dispose();
  });
});
