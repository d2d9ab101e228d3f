/**
 * Embeds dataset images with a {@link FaceEmbedder}: each image decoded through the dataset (its crop, at the
 * embedder's input size, via the decode cache), batched, embedded, and returned as embedding records keyed
 * by `Person/file` under the embedder's name, the same shape `pairValues` reads.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { refKey, type Dataset } from '../data/dataset';
import type { LoadOptions } from '../data/image';
import type { ImageRef } from '../data/types';
import type { FaceEmbedder } from './face-embedder';
import type { EmbeddingRecord } from './embedding-cache';

/** The distinct images of some pairs, in first-seen order. */
export function pairImages(pairs: readonly { a: ImageRef; b: ImageRef }[]): ImageRef[] {
  const seen = new Map<string, ImageRef>();
  for (const p of pairs) for (const r of [p.a, p.b]) if (!seen.has(refKey(r))) seen.set(refKey(r), r);
  return [...seen.values()];
}

/** Embeds `refs` of `dataset` with `embedder` (batches of `batchSize`); adds to `into` when given. */
export async function embedDataset(dataset: Dataset, refs: readonly ImageRef[], embedder: FaceEmbedder,
  options: { batchSize?: number; load?: Partial<LoadOptions>; into?: Map<string, EmbeddingRecord> } = {}): Promise<Map<string, EmbeddingRecord>> {
  const out = options.into ?? new Map<string, EmbeddingRecord>();
  const batchSize = options.batchSize ?? 16;
  for (let i = 0; i < refs.length; i += batchSize) {
    const chunk = refs.slice(i, i + batchSize);
    const images = await dataset.loadMany(chunk, { size: embedder.inputSize, channels: 3, ...options.load });
    const per = embedder.inputSize * embedder.inputSize * 3;
    const buf = new Int32Array(chunk.length * per);
    images.forEach((img, k) => buf.set(img.data, k * per));
    const x = tf.tensor4d(buf, [chunk.length, embedder.inputSize, embedder.inputSize, 3], 'int32');
    try {
      const embs = await embedder.embed(x);
      chunk.forEach((r, k) => out.set(refKey(r), { ...(out.get(refKey(r)) ?? { ref: refKey(r) }), [embedder.name]: embs[k] }));
    } finally {
      x.dispose();
    }
  }
  return out;
}
