/**
 * How per-example loss terms become one number.
 *
 * - `'mean'`: average over the valid terms (every term unless a mask says otherwise);
 * - `'meanNonZero'`: average over the terms that are > 0 (pytorch-metric-learning's `AvgNonZeroReducer`:
 *   easy pairs that already satisfy the margin do not dilute the loss);
 * - `'sum'`: plain sum;
 * - `'none'`: the terms themselves (masked terms set to 0).
 * An empty batch, or one with no valid or non-zero term, reduces to 0, never NaN.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';

export type Reduction = 'mean' | 'meanNonZero' | 'sum' | 'none';
export const REDUCTIONS: readonly Reduction[] = ['mean', 'meanNonZero', 'sum', 'none'];

/**
 * Throws unless `r` is a known reduction.
 * @see notebooks/04-model-construction.ipynb
 */
export function checkReduction(r: unknown): Reduction {
  if (!REDUCTIONS.includes(r as Reduction)) throw new RangeError(`reduction must be one of ${REDUCTIONS.join(', ')}, got ${JSON.stringify(r)}`);
  return r as Reduction;
}

/**
 * Reduces `terms` (any shape, flattened) as `reduction` says; `mask` (same shape, 1 = valid, 0 = ignore)
 * restricts which terms count. Returns a scalar, or for `'none'` the masked terms with `terms`' shape.
 * @see notebooks/04-model-construction.ipynb
 */
export function reduceLoss(terms: tf.Tensor, reduction: Reduction, mask?: tf.Tensor): tf.Tensor {
  checkReduction(reduction);
  return tf.tidy(() => {
    const masked = mask === undefined ? terms : tf.mul(terms, mask);
    if (reduction === 'none') return mask === undefined ? tf.clone(terms) : masked;
    const total = tf.sum(masked);
    if (reduction === 'sum') return total;
    const count = reduction === 'mean'
      ? (mask === undefined ? tf.scalar(terms.size) : tf.sum(mask))
      : tf.sum(tf.cast(tf.greater(masked, 0), 'float32'));
    return tf.div(total, tf.maximum(count, 1));
  });
}
