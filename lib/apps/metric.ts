/**
 * How the applications compare two embeddings: a value and which way "more alike" points, the same
 * comparison the model verifies with, so a retrieval distance or a clustering threshold reads against the
 * model's verification threshold.
 *
 * @see notebooks/08-applications.ipynb
 */
import type { Direction } from '../eval/scored';
import { cosineSimilarity, euclideanDistance } from '../distances/arrays';
import type { FaceEmbedder } from '../faces/face-embedder';

/** How two embeddings are compared: a value and which way it points. */
export interface Metric extends Direction {
  readonly name: string;
  compare(a: ArrayLike<number>, b: ArrayLike<number>): number;
}

/** Euclidean distance (smaller = more alike): what every model of the project verifies with. */
export const EUCLIDEAN: Metric = Object.freeze({ name: 'euclidean', higherIsCloser: false, compare: euclideanDistance });

/** Cosine similarity (larger = more alike). */
export const COSINE: Metric = Object.freeze({ name: 'cosine', higherIsCloser: true, compare: cosineSimilarity });

/** The metric an embedder verifies with: Euclidean for the project's models, else its own `compare`. */
export function metricOf(embedder: Pick<FaceEmbedder, 'name' | 'compare' | 'higherIsCloser'>): Metric {
  if (embedder.compare === euclideanDistance) return EUCLIDEAN;
  return { name: embedder.name, higherIsCloser: embedder.higherIsCloser, compare: (a, b) => embedder.compare(Array.from(a), Array.from(b)) };
}

/**
 * Pairwise values of embeddings under `metric`, each pair computed once. The diagonal is 0 for a distance
 * and each embedding's value with itself for a similarity.
 */
export function pairwiseValues(embeddings: readonly (readonly number[])[], metric: Metric = EUCLIDEAN): number[][] {
  const n = embeddings.length;
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[i][j] = out[j][i] = metric.compare(embeddings[i], embeddings[j]);
  if (metric.higherIsCloser) for (let i = 0; i < n; i++) out[i][i] = metric.compare(embeddings[i], embeddings[i]);
  return out;
}
