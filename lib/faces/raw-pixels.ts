/**
 * The "raw pixels" baseline: a face crop shrunk to `size` x `size` grey pixels in [0, 1], flattened, and
 * compared by Euclidean distance. No learning at all; any model worth training must beat it.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { euclideanDistance } from '../distances/arrays';
import type { FaceEmbedder } from './face-embedder';

/** Raw grey pixels of a `size` x `size` shrunk crop (default 32: a 1024-d vector). */
export function rawPixelsEmbedder(size = 32, inputSize = 64): FaceEmbedder {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`raw pixels size must be a positive integer, got ${size}`);
  return {
    name: 'raw-pixels',
    description: `raw grey pixels at ${size}x${size}, Euclidean distance (no learning)`,
    inputSize,
    dim: size * size,
    higherIsCloser: false,
    outsideData: false,
    async embed(crops: tf.Tensor4D): Promise<number[][]> {
      if (crops.shape[0] === 0) return [];
      const flat = tf.tidy(() => {
        const grey = tf.mean(tf.image.resizeBilinear(crops.toFloat(), [size, size], true), 3);
        return grey.div(255).reshape([crops.shape[0], size * size]);
      });
      const rows = (await flat.array()) as number[][];
      flat.dispose();
      return rows;
    },
    compare: euclideanDistance,
  };
}
