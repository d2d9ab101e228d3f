/**
 * Cosine similarity between embeddings: `s(a, b) = a·b / (max(‖a‖, ε)·max(‖b‖, ε))`, in [−1, 1];
 * higher is closer, identical directions give 1. The layer form is tfjs's built-in
 * `dot({axes: -1, normalize: true})`, so no custom layer is needed.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { defineDistance, type Distance } from './distance';

/** Rows scaled to unit length (rows shorter than 1e-6 are divided by 1e-6 instead: zero stays zero). */
function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), 1e-6));
}

/**
 * Cosine similarity (higher is closer); see the module doc.
 * @see notebooks/04-model-construction.ipynb
 */
export const cosine: Distance = defineDistance({
  name: 'cosine',
  higherIsCloser: true,
  identical: 1,
  pairwise: (a, b) => tf.sum(tf.mul(normalizeRows(a), normalizeRows(b)), 1) as tf.Tensor1D,
  matrix: (a, b) => {
    // Broadcast multiply-and-sum rather than matMul(·, ·ᵀ): transposed matMul is slow on wasm.
    const prod = tf.mul(tf.expandDims(normalizeRows(a), 1), tf.expandDims(normalizeRows(b), 0));
    return tf.sum(prod, 2) as tf.Tensor2D;
  },
  layer: (name) => tf.layers.dot({ axes: -1, normalize: true, ...(name === undefined ? {} : { name }) }),
});
