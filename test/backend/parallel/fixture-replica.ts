/** A small replica for dataParallel.test.ts: conv -> ReLU -> mean pool -> dense, mean squared loss. */
import * as tf from '@tensorflow/tfjs';
import type { Replica } from '../../../lib/backend/parallel';
import { Rng } from '../../../lib/util/rng';

export function createReplica(options: { seed: number }): Replica {
  const rng = new Rng(options.seed);
  const init = (shape: number[], scale: number) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => scale * rng.normal());
    return tf.tidy(() => tf.variable(tf.tensor(values, shape)));
  };
  const w1 = init([3, 3, 3, 6], 0.3), w2 = init([6, 4], 0.3);
  return {
    variables: [w1, w2],
    loss: ([x, y]) => tf.tidy(() => {
      const h = tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'));
      const e = tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, w2 as tf.Tensor2D);
      return tf.mean(tf.square(tf.sub(e, y))) as tf.Scalar;
    }),
  };
}
