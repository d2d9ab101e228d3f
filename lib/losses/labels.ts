/**
 * Turns `isSame` labels (a tensor or a plain array of 0/1) into a float32 `[n]` tensor, checking length.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { IsSame } from '../data/types';

/** Labels as the losses accept them: 1 = same person, 0 = different. */
export type IsSameInput = tf.Tensor | readonly IsSame[];

/**
 * A float32 `[n]` copy of `isSame` (the caller disposes it, or calls this inside `tf.tidy`). Arrays are
 * checked element by element; tensors only for shape (reading them back would block).
 * @see notebooks/04-model-construction.ipynb
 */
export function isSameTensor(isSame: IsSameInput, n: number, what = 'isSame'): tf.Tensor1D {
  if (Array.isArray(isSame) || !(isSame instanceof tf.Tensor)) {
    const arr = isSame as readonly number[];
    if (arr.length !== n) throw new RangeError(`${what} has ${arr.length} labels for ${n} pairs`);
    const bad = arr.findIndex((v) => v !== 0 && v !== 1);
    if (bad >= 0) throw new RangeError(`${what}[${bad}] = ${JSON.stringify(arr[bad])}; labels must be 0 (different) or 1 (same person)`);
    return tf.tensor1d(arr as number[], 'float32');
  }
  if (isSame.size !== n || (isSame.rank !== 1 && !(isSame.rank === 2 && isSame.shape[1] === 1))) {
    throw new RangeError(`${what} must be [${n}] or [${n}, 1], got shape [${isSame.shape.join(', ')}]`);
  }
  return tf.tidy(() => tf.cast(tf.reshape(isSame, [n]), 'float32') as tf.Tensor1D);
}
