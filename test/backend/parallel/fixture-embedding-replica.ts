/** A small embedding replica for embedding-parallel.test.ts: conv -> ReLU -> mean pool -> dense; fails on request. */
import * as tf from '@tensorflow/tfjs';
import type { EmbeddingReplica } from '../../../lib/backend/parallel';
import { Rng } from '../../../lib/util/rng';

export function createEmbeddingReplica(options: { seed: number }): EmbeddingReplica & { failNext: boolean } {
  const rng = new Rng(options.seed);
  const init = (shape: number[], scale: number, name: string) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => scale * rng.normal());
    return tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `${name}_${options.seed}_${rng.int(1e9)}`));
  };
  const w1 = init([3, 3, 3, 6], 0.3, 'w1'), w2 = init([6, 4], 0.3, 'w2');
  const replica = {
    failNext: false,
    variables: [w1, w2],
    embed: (x: tf.Tensor) => tf.tidy(() => {
      if (replica.failNext) throw new Error('the fixture was told to fail');
      const h = tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'));
      return tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, w2 as tf.Tensor2D);
    }),
    setState: (state: unknown) => {
      replica.failNext = (state as { fail?: boolean } | undefined)?.fail === true;
    },
  };
  return replica;
}
