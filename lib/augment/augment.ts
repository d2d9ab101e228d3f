/**
 * Augments a batch in one call: draws each image's params from the policy and the rng, then applies them
 * as batched tensor ops.
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng';
import { applyAugment } from './apply';
import type { AugmentParams } from './params';
import { applyOptions, resolvePolicy, samplePolicy, type AugmentPolicy, type AugmentPolicyInput } from './policy';

/** What {@link augmentBatch} returns: the augmented images (the caller owns them) and each image's params. */
export interface AugmentedBatch {
  readonly images: tf.Tensor4D;
  readonly params: readonly AugmentParams[];
}

/**
 * Augments `images` (float32 `[n, h, w, c]` in [0, 1]) with `policy` (a preset name, a partial policy or a
 * resolved one), drawing from `rng`. `images` is not disposed. The same rng state gives the same pixels.
 */
export function augmentBatch(images: tf.Tensor4D, policy: string | AugmentPolicy | AugmentPolicyInput, rng: Rng): AugmentedBatch {
  const p = resolvePolicy(policy as string | AugmentPolicyInput);
  const params = samplePolicy(p, images.shape[0], rng);
  return { images: applyAugment(images, params, applyOptions(p)), params };
}
