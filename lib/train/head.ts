/**
 * A small trainable head on frozen embeddings: an MLP (`dim → layers[0] → … → layers[last]`, ReLU between
 * layers, no ReLU after the last) whose output is L2-normalised,
 *
 *     h(x) = f(x) / ‖f(x)‖,   f(x) = W_k · relu(… relu(W_1 x + b_1) …) + b_k
 *
 * trained with the contrastive loss (Euclidean distance between head outputs, label 1 = same person,
 * margin m: L = y·d² + (1−y)·max(m − d, 0)²) on pairs of embeddings given as plain `number[][]`, so it
 * works on the output of any `FaceEmbedder` or cached descriptors. Weights start He-normal from the
 * config's seed and batches are shuffled from it, so a seed gives the same head. The trained weights are
 * copied out of tfjs (every tensor is disposed before {@link trainHead} returns); applying the head is
 * plain arithmetic and needs no disposal.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { IsSame } from '../data/types';
import { contrastiveLoss } from '../losses/contrastive';
import { euclideanDistance } from '../distances/arrays';
import { stream } from '../util/streams';
import { Optimizer } from './optimizer';

/** Configuration of {@link trainHead}. */
export interface HeadConfig {
  /** Output sizes of the layers; the last is the head's output dimension. */
  readonly layers: readonly number[];
  readonly epochs: number;
  readonly batchSize: number;
  /** Adam's learning rate. */
  readonly lr: number;
  /** Contrastive margin for different-person pairs (outputs are unit vectors: distances lie in [0, 2]). */
  readonly margin: number;
  readonly seed: number;
}

export const DEFAULT_HEAD: Readonly<HeadConfig> = Object.freeze({
  layers: Object.freeze([128, 64]), epochs: 30, batchSize: 64, lr: 1e-3, margin: 1, seed: 0,
});

/**
 * Merges `partial` over the defaults and validates; errors name the bad value.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function resolveHead(partial: Partial<HeadConfig> = {}): HeadConfig {
  const cfg = { ...DEFAULT_HEAD, ...partial };
  const posInt = (k: 'epochs' | 'batchSize', v: unknown) => {
    if (!(typeof v === 'number' && Number.isInteger(v) && v > 0)) throw new RangeError(`head ${k} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  if (!Array.isArray(cfg.layers) || cfg.layers.length === 0 || cfg.layers.some((n) => !(Number.isInteger(n) && n > 0))) {
    throw new RangeError(`head layers must be a non-empty list of positive integers, got ${JSON.stringify(cfg.layers)}`);
  }
  posInt('epochs', cfg.epochs);
  posInt('batchSize', cfg.batchSize);
  if (!(typeof cfg.lr === 'number' && cfg.lr > 0 && Number.isFinite(cfg.lr))) throw new RangeError(`head lr must be a positive number, got ${JSON.stringify(cfg.lr)}`);
  if (!(typeof cfg.margin === 'number' && cfg.margin > 0 && cfg.margin <= 2)) throw new RangeError(`head margin must be in (0, 2] (outputs are unit vectors), got ${JSON.stringify(cfg.margin)}`);
  if (!(typeof cfg.seed === 'number' && Number.isFinite(cfg.seed))) throw new RangeError(`head seed must be a finite number, got ${JSON.stringify(cfg.seed)}`);
  return cfg;
}

/** Training pairs of frozen embeddings: `a[i]`, `b[i]` and whether they show the same person. */
export interface HeadPairs {
  readonly a: readonly (readonly number[])[];
  readonly b: readonly (readonly number[])[];
  readonly isSame: readonly IsSame[];
}

/** One dense layer's weights, copied out of tfjs: `kernel` is `[inDim, outDim]` row-major. */
export interface HeadLayer {
  readonly inDim: number;
  readonly outDim: number;
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
}

/** A trained head: plain weights, a map from embeddings to head outputs and a distance between them. */
export interface TrainedHead {
  readonly config: HeadConfig;
  readonly inputDim: number;
  readonly layers: readonly HeadLayer[];
  /** Mean training loss per epoch. */
  readonly losses: readonly number[];
  /** The head's (unit-length) output for one embedding. */
  apply(embedding: readonly number[]): number[];
  /** Euclidean distance between the head outputs of two embeddings (lower = closer). */
  compare(a: readonly number[], b: readonly number[]): number;
}

function checkPairs(pairs: HeadPairs): number {
  const n = pairs.isSame.length;
  if (n === 0) throw new RangeError('trainHead: no training pairs');
  if (pairs.a.length !== n || pairs.b.length !== n) throw new RangeError(`trainHead: ${pairs.a.length} a and ${pairs.b.length} b embeddings for ${n} labels`);
  const dim = pairs.a[0].length;
  if (dim === 0) throw new RangeError('trainHead: embeddings are empty');
  for (const [side, xs] of [['a', pairs.a], ['b', pairs.b]] as const) {
    xs.forEach((x, i) => {
      if (x.length !== dim) throw new RangeError(`trainHead: ${side}[${i}] has ${x.length} values, expected ${dim}`);
      if (x.some((v) => !Number.isFinite(v))) throw new RangeError(`trainHead: ${side}[${i}] has a non-finite value`);
    });
  }
  pairs.isSame.forEach((y, i) => {
    if (y !== 0 && y !== 1) throw new RangeError(`trainHead: isSame[${i}] = ${JSON.stringify(y)}, expected 0 or 1`);
  });
  return dim;
}

function forward(x: tf.Tensor2D, weights: readonly tf.Variable[]): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  for (let l = 0; l < weights.length; l += 2) {
    h = tf.add(tf.matMul(h, weights[l] as tf.Tensor2D), weights[l + 1]);
    if (l + 2 < weights.length) h = tf.relu(h);
  }
  return tf.div(h, tf.add(tf.norm(h, 'euclidean', 1, true), 1e-12));
}

/** Plain-number forward pass with copied weights (same formula as `forward`). */
function applyLayers(layers: readonly HeadLayer[], x: readonly number[]): number[] {
  let h: number[] = [...x];
  layers.forEach((L, l) => {
    const out = Array.from(L.bias, Number);
    for (let i = 0; i < L.inDim; i++) {
      const hi = h[i];
      if (hi === 0) continue;
      const row = i * L.outDim;
      for (let j = 0; j < L.outDim; j++) out[j] += hi * L.kernel[row + j];
    }
    h = l + 1 < layers.length ? out.map((v) => Math.max(v, 0)) : out;
  });
  const norm = Math.sqrt(h.reduce((s, v) => s + v * v, 0)) + 1e-12;
  return h.map((v) => v / norm);
}

/**
 * Trains a head on pairs of frozen embeddings with the contrastive loss (Adam, shuffled mini-batches).
 * Deterministic for a given config; leaves no tensor behind.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function trainHead(pairs: HeadPairs, config: Partial<HeadConfig> = {}): TrainedHead {
  const cfg = resolveHead(config);
  const inputDim = checkPairs(pairs);
  const init = stream(cfg.seed, 'init');
  const order = stream(cfg.seed, 'shuffle');
  const sizes = [inputDim, ...cfg.layers];
  const weights: tf.Variable[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const std = Math.sqrt(2 / sizes[l]);
    const k = Float32Array.from({ length: sizes[l] * sizes[l + 1] }, () => init.normal(0, std));
    // tidy frees the initial values; the variables themselves survive it
    weights.push(...tf.tidy(() => [tf.variable(tf.tensor2d(k, [sizes[l], sizes[l + 1]])), tf.variable(tf.zeros([sizes[l + 1]]))]));
  }
  const optimizer = new Optimizer(weights, { name: 'adam', lr: cfg.lr });
  const n = pairs.isSame.length;
  const losses: number[] = [];
  try {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let e = 0; e < cfg.epochs; e++) {
      order.shuffle(idx);
      let total = 0;
      for (let s = 0; s < n; s += cfg.batchSize) {
        const batch = idx.slice(s, s + cfg.batchSize);
        const { value, grads } = tf.tidy(() => {
          const a = tf.tensor2d(batch.map((i) => pairs.a[i] as number[]));
          const b = tf.tensor2d(batch.map((i) => pairs.b[i] as number[]));
          const y = batch.map((i) => pairs.isSame[i]);
          return tf.variableGrads(() => contrastiveLoss(forward(a, weights), forward(b, weights), y, { margin: cfg.margin }) as tf.Scalar, weights);
        });
        optimizer.apply(grads, cfg.lr);
        total += value.dataSync()[0] * batch.length;
        value.dispose();
        tf.dispose(grads);
      }
      losses.push(total / n);
    }
    const layers: HeadLayer[] = [];
    for (let l = 0; l < weights.length; l += 2) {
      layers.push({ inDim: sizes[l / 2], outDim: sizes[l / 2 + 1], kernel: Float32Array.from(weights[l].dataSync()), bias: Float32Array.from(weights[l + 1].dataSync()) });
    }
    const apply = (x: readonly number[]): number[] => {
      if (x.length !== inputDim) throw new RangeError(`head: embedding has ${x.length} values, expected ${inputDim}`);
      return applyLayers(layers, x);
    };
    return { config: cfg, inputDim, layers, losses, apply, compare: (a, b) => euclideanDistance(apply(a), apply(b)) };
  } finally {
    optimizer.dispose();
    tf.dispose(weights);
  }
}
