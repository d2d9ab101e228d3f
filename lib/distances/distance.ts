/**
 * What a distance between embeddings is: a pairwise function, a full matrix, a layer for Siamese
 * models, and the direction of its values.
 *
 * `higherIsCloser` is false for a distance (Euclidean) and true for a similarity (cosine). Losses, miners
 * and threshold searches read it instead of branching on a name, and `identical` gives the value two
 * equal embeddings get (0 and 1 here).
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';

/** Names of the distances the project ships. */
export type DistanceName = 'euclidean' | 'cosine';

export interface Distance {
  readonly name: DistanceName;
  /** True for similarities (larger = more alike), false for distances. */
  readonly higherIsCloser: boolean;
  /** The value of two identical embeddings. */
  readonly identical: number;
  /** Row i of `a` against row i of `b`: `[n, d] × [n, d] → [n]`. */
  pairwise(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D;
  /** Every row of `a` against every row of `b`: `[n, d] × [m, d] → [n, m]`. */
  matrix(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D;
  /** A layer taking `[a, b]` (`[n, d]` each) to `[n, 1]`, for Siamese models. */
  layer(name?: string): tf.layers.Layer;
}

/**
 * Throws unless `t` is a rank-2 tensor; `what` names it in the message.
 * @see notebooks/04-model-construction.ipynb
 */
export function checkEmbeddings(t: tf.Tensor, what: string): void {
  if (t.rank !== 2) throw new RangeError(`${what} must be a 2-D [n, dim] tensor of embeddings, got shape [${t.shape.join(', ')}]`);
}

/**
 * Throws unless `a` and `b` are rank-2 tensors of the same shape.
 * @see notebooks/04-model-construction.ipynb
 */
export function checkPairShapes(a: tf.Tensor, b: tf.Tensor): void {
  checkEmbeddings(a, 'a');
  checkEmbeddings(b, 'b');
  if (a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new RangeError(`a and b must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
}

/**
 * Throws unless `a` and `b` are rank-2 tensors with the same embedding size.
 * @see notebooks/04-model-construction.ipynb
 */
export function checkMatrixShapes(a: tf.Tensor, b: tf.Tensor): void {
  checkEmbeddings(a, 'a');
  checkEmbeddings(b, 'b');
  if (a.shape[1] !== b.shape[1]) {
    throw new RangeError(`a and b must have the same embedding size, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
}

/**
 * A frozen Distance from its arithmetic: `pairwise` and `matrix` get their shapes checked
 * ({@link checkPairShapes}, {@link checkMatrixShapes}) and run inside tf.tidy, so a definition only computes.
 * @see notebooks/04-model-construction.ipynb
 */
export function defineDistance(d: Distance): Distance {
  return Object.freeze({
    ...d,
    pairwise(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
      checkPairShapes(a, b);
      return tf.tidy(() => d.pairwise(a, b));
    },
    matrix(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
      checkMatrixShapes(a, b);
      return tf.tidy(() => d.matrix(a, b));
    },
  });
}
