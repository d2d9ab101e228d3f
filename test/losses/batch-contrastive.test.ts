import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchContrastiveLoss } from '../../lib/losses';

/** The loss recomputed with plain loops on 2-D points. */
function byHand(points: number[][], labels: number[], margin: number): number {
  let pos = 0, nPos = 0, neg = 0, nNeg = 0;
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const d = Math.max(Math.hypot(points[i][0] - points[j][0], points[i][1] - points[j][1]), Math.sqrt(1e-12));
      if (labels[i] === labels[j]) { pos += d * d; nPos++; } else { neg += Math.max(margin - d, 0) ** 2; nNeg++; }
    }
  }
  return (nPos ? pos / nPos : 0) + (nNeg ? neg / nNeg : 0);
}

test('matches the loss computed by hand over every pair of the batch', () => {
  const angle = (a: number) => [Math.cos(a), Math.sin(a)];
  const points = [angle(0), angle(0.1), angle(1.5), angle(1.6), angle(3), [0.2, 0.1]];
  const labels = [7, 7, 3, 3, 9, 7];
  const e = tf.tensor2d(points);
  const before = tf.memory().numTensors;
  const l = batchContrastiveLoss(e as tf.Tensor2D, labels, { margin: 1.2 });
  assert.ok(Math.abs(l.dataSync()[0] - byHand(points, labels, 1.2)) < 1e-5, `${l.dataSync()[0]} vs ${byHand(points, labels, 1.2)}`);
  l.dispose();
  assert.equal(tf.memory().numTensors, before, 'no leaks');
  e.dispose();
});

test('identical same-person embeddings and far-apart different people cost about 0; all one person has no negative term', () => {
  const e = tf.tensor2d([[1, 0], [1, 0], [-5, 0], [-5, 0]]);
  assert.ok(batchContrastiveLoss(e as tf.Tensor2D, [1, 1, 2, 2], { margin: 1 }).dataSync()[0] < 1e-6);
  const one = tf.tensor2d([[0, 0], [3, 4]]);
  assert.ok(Math.abs(batchContrastiveLoss(one as tf.Tensor2D, [5, 5]).dataSync()[0] - 25) < 1e-4);
  assert.throws(() => batchContrastiveLoss(one as tf.Tensor2D, [1]), /2 embeddings but 1 labels/);
});

test('gradients are finite even for identical embeddings (the diagonal and ties)', () => {
  const e = tf.tensor2d([[0.5, 0.5], [0.5, 0.5], [0.1, -0.2]]);
  const g = tf.grad((x: tf.Tensor) => batchContrastiveLoss(x as tf.Tensor2D, [1, 1, 2]))(e);
  assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
});
