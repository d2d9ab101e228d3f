/**
 * Euclidean (L2) distance between embeddings: `d(a, b) = √max(Σᵢ (aᵢ − bᵢ)², ε)`; lower is closer,
 * identical embeddings give (almost) 0. The ε clamp keeps gradients finite at `a = b`.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { defineDistance, type Distance } from './distance';
import { EUCLIDEAN_EPSILON, euclideanDistanceLayer } from './euclidean-distance-layer';

/**
 * Euclidean distance (lower is closer); see the module doc.
 * @see notebooks/04-model-construction.ipynb
 */
export const euclidean: Distance = defineDistance({
  name: 'euclidean',
  higherIsCloser: false,
  identical: 0,
  pairwise: (a, b) => tf.sqrt(tf.maximum(tf.sum(tf.square(tf.sub(a, b)), 1), EUCLIDEAN_EPSILON)) as tf.Tensor1D,
  matrix: (a, b) => {
    // Broadcast [n, 1, d] − [1, m, d]: exact (no |a|² + |b|² − 2ab cancellation) for batch-sized n, m.
    const diff = tf.sub(tf.expandDims(a, 1), tf.expandDims(b, 0));
    return tf.sqrt(tf.maximum(tf.sum(tf.square(diff), 2), EUCLIDEAN_EPSILON)) as tf.Tensor2D;
  },
  layer: (name) => euclideanDistanceLayer(name === undefined ? {} : { name }),
});
