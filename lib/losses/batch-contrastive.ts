/**
 * Contrastive loss over every pair in a batch: the n images of a batch of pairs give n(n−1)/2 pairs, each
 * labelled by whether its two images show the same person (y = 1) — far more signal per forward pass than
 * the n/2 pairs the batch was drawn as. With d the distance of pair (i, j), i < j:
 *
 *     L = mean over same pairs of  max(d − m⁺, 0)^p   +   mean over different pairs of  max(m − d, 0)^p
 *
 * (the two means are taken separately, so the many different-person pairs do not drown the few same-person
 * ones; an empty group contributes 0). For a similarity (cosine) the inequalities flip, as in
 * {@link contrastiveFromValues}. Labels are any integer person ids.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { checkEmbeddings, type Distance, type DistanceName } from '../distances/distance';
import { getDistance } from '../distances/get-distance';

export interface BatchContrastiveOptions {
  readonly margin?: number;
  readonly posMargin?: number | null;
  readonly power?: number;
  readonly distance?: DistanceName | Distance;
}

/** The loss above for `embeddings` `[n, d]` of people `labels` (n ids); a scalar. */
export function batchContrastiveLoss(embeddings: tf.Tensor2D, labels: readonly number[], options: BatchContrastiveOptions = {}): tf.Scalar {
  checkEmbeddings(embeddings, 'batchContrastiveLoss embeddings');
  const n = embeddings.shape[0];
  if (labels.length !== n) throw new RangeError(`batchContrastiveLoss: ${n} embeddings but ${labels.length} labels`);
  const distance = getDistance(options.distance ?? 'euclidean');
  const margin = options.margin ?? 1;
  const power = options.power ?? 2;
  const posMargin = options.posMargin ?? distance.identical;
  // masks over the upper triangle i < j
  const same = new Float32Array(n * n);
  const diff = new Float32Array(n * n);
  let nSame = 0;
  let nDiff = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (labels[i] === labels[j]) { same[i * n + j] = 1; nSame++; } else { diff[i * n + j] = 1; nDiff++; }
    }
  }
  return tf.tidy(() => {
    const values = distance.matrix(embeddings, embeddings);
    const sign = distance.higherIsCloser ? -1 : 1;
    const pos = tf.pow(tf.relu(tf.mul(sign, tf.sub(values, posMargin))), power);
    const neg = tf.pow(tf.relu(tf.mul(sign, tf.sub(margin, values))), power);
    const posTerm = nSame ? tf.div(tf.sum(tf.mul(pos, tf.tensor2d(same, [n, n]))), nSame) : tf.scalar(0);
    const negTerm = nDiff ? tf.div(tf.sum(tf.mul(neg, tf.tensor2d(diff, [n, n]))), nDiff) : tf.scalar(0);
    return tf.add(posTerm, negTerm) as tf.Scalar;
  });
}
