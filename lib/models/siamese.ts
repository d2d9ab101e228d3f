/**
 * The Siamese wrapper: one embedding network applied to both images of a pair, then a head.
 *
 * The same `embedNet` object is called on input `a` and on input `b`, so its weights exist once; the
 * model summary lists it as one layer with two inbound nodes (and counts its parameters once). Heads:
 * - `'euclidean'` / `'cosine'`: the pair's distance or similarity, `[n, 1]` (for contrastive training,
 *   evaluation by threshold); the Distance's `higherIsCloser` says which way is "same".
 * - `'bceConcat'` (the Siamese CNN reference's): `concat(ea, eb) → dense(1) → sigmoid`, the probability of "same person";
 * - `'bceAbsDiff'`: `|ea − eb| → dense(1) → sigmoid`, the same but symmetric in a and b.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { getDistance } from '../distances/get-distance';
import { stream } from '../util/streams';
import { torchDefault } from './init';
import { absoluteDifference } from './layers/absolute-difference';
import { l2Normalize } from './layers/l2-normalize';

export type SiameseHead = 'euclidean' | 'cosine' | 'bceConcat' | 'bceAbsDiff';
export const SIAMESE_HEADS: readonly SiameseHead[] = ['euclidean', 'cosine', 'bceConcat', 'bceAbsDiff'];

/** Configuration of {@link siamese}. */
export interface SiameseConfig {
  readonly head: SiameseHead;
  /** Seed of the BCE head's dense layer (unused by distance heads). */
  readonly seed: number;
  /** L2-normalise each embedding before the head (distances then lie in [0, 2]). The seeds did not. */
  readonly normalize: boolean;
}

export const DEFAULT_SIAMESE: Readonly<SiameseConfig> = Object.freeze({ head: 'euclidean', seed: 0, normalize: false });

/**
 * Merges `partial` over the defaults and validates; errors name the bad value.
 * @see notebooks/04-model-construction.ipynb
 */
export function resolveSiamese(partial: Partial<SiameseConfig> = {}): SiameseConfig {
  const cfg = { ...DEFAULT_SIAMESE, ...partial };
  if (!SIAMESE_HEADS.includes(cfg.head)) throw new RangeError(`siamese head must be one of ${SIAMESE_HEADS.join(', ')}, got ${JSON.stringify(cfg.head)}`);
  if (!Number.isInteger(cfg.seed)) throw new RangeError(`siamese seed must be an integer, got ${cfg.seed}`);
  if (typeof cfg.normalize !== 'boolean') throw new RangeError(`siamese normalize must be true or false, got ${JSON.stringify(cfg.normalize)}`);
  return cfg;
}

/** What a Siamese model's output means: a distance/similarity or a probability, and which way is "same". */
export interface SiameseOutput {
  readonly kind: 'distance' | 'probability';
  readonly higherIsCloser: boolean;
}

/**
 * The meaning of the output of a Siamese model with `head`.
 * @see notebooks/04-model-construction.ipynb
 */
export function siameseOutput(head: SiameseHead): SiameseOutput {
  resolveSiamese({ head });
  if (head === 'bceConcat' || head === 'bceAbsDiff') return { kind: 'probability', higherIsCloser: true };
  return { kind: 'distance', higherIsCloser: getDistance(head).higherIsCloser };
}

/**
 * Wraps `embedNet` (one image input, one `[n, d]` output) into a two-input Siamese model
 * `[a, b] → [n, 1]`; see the module doc for the heads.
 * @see notebooks/04-model-construction.ipynb
 */
export function siamese(embedNet: tf.LayersModel, partial: Partial<SiameseConfig> = {}): tf.LayersModel {
  const cfg = resolveSiamese(partial);
  if (embedNet.inputs.length !== 1 || embedNet.outputs.length !== 1) {
    throw new RangeError(`siamese needs an embedding network with one input and one output, got ${embedNet.inputs.length} and ${embedNet.outputs.length}`);
  }
  const outShape = embedNet.outputs[0].shape;
  if (outShape.length !== 2) throw new RangeError(`siamese needs [n, d] embeddings, but ${embedNet.name} outputs ${JSON.stringify(outShape)}`);
  const shape = embedNet.inputs[0].shape.slice(1) as number[];
  const a = tf.input({ shape, name: 'a' });
  const b = tf.input({ shape, name: 'b' });
  let ea = embedNet.apply(a) as tf.SymbolicTensor;
  let eb = embedNet.apply(b) as tf.SymbolicTensor;
  if (cfg.normalize) {
    const norm = l2Normalize({ name: 'l2_normalize' });
    ea = norm.apply(ea) as tf.SymbolicTensor;
    eb = norm.apply(eb) as tf.SymbolicTensor;
  }
  let out: tf.SymbolicTensor;
  if (cfg.head === 'euclidean' || cfg.head === 'cosine') {
    out = getDistance(cfg.head).layer(cfg.head).apply([ea, eb]) as tf.SymbolicTensor;
  } else {
    const merged = cfg.head === 'bceConcat'
      ? (tf.layers.concatenate({ name: 'concat' }).apply([ea, eb]) as tf.SymbolicTensor)
      : (absoluteDifference({ name: 'abs_diff' }).apply([ea, eb]) as tf.SymbolicTensor);
    const fanIn = merged.shape[1] as number;
    const init = torchDefault(fanIn, stream(cfg.seed, 'siamese').fork('bce_dense'));
    out = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'head_bce_dense', ...init }).apply(merged) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: [a, b], outputs: out, name: `siamese_${cfg.head}` });
}

/**
 * The part of a {@link siamese} model after its embedding network, as a function of the two embeddings: the
 * model's own layers (L2 normalisation when it has it, then the head), so the same weights.
 * `siameseHead(model)(net(a), net(b))` equals `model.apply([a, b])`; a data-parallel step uses it to score
 * pairs from embeddings made on two threads.
 * @see notebooks/05-training-runs.ipynb
 */
export function siameseHead(model: tf.LayersModel): (ea: tf.Tensor, eb: tf.Tensor) => tf.Tensor {
  const names = new Set(model.layers.map((l) => l.name));
  const head = SIAMESE_HEADS.find((h) => model.name === `siamese_${h}`);
  if (head === undefined) throw new RangeError(`siameseHead: ${model.name} is not a model made by siamese()`);
  const layer = (name: string) => model.getLayer(name);
  const norm = names.has('l2_normalize') ? layer('l2_normalize') : null;
  return (ea, eb) => {
    const [a, b] = norm ? [norm.apply(ea) as tf.Tensor, norm.apply(eb) as tf.Tensor] : [ea, eb];
    if (head === 'euclidean' || head === 'cosine') return layer(head).apply([a, b]) as tf.Tensor;
    const merged = layer(head === 'bceConcat' ? 'concat' : 'abs_diff').apply([a, b]) as tf.Tensor;
    return layer('head_bce_dense').apply(merged) as tf.Tensor;
  };
}

/** The embedding network nested in a {@link siamese} model (the one layer that is itself a model). */
export function siameseEmbeddingNet(model: tf.LayersModel): tf.LayersModel {
  const nets = model.layers.filter((l): l is tf.LayersModel => l instanceof tf.LayersModel);
  if (nets.length !== 1) throw new Error(`${model.name}: expected one embedding network inside, found ${nets.length}`);
  return nets[0];
}

/**
 * A {@link siamese} model scored with flip test-time augmentation: each image's embedding is the mean of the
 * embeddings of the image and of its left-right mirror (one batch through the network, inference mode), then the
 * model's own normalisation and head. Faces are roughly mirror-symmetric, so the mean is a steadier embedding than
 * either view alone; it costs a second pass at evaluation time and nothing in training. Images are `[n, h, w, c]`.
 * @see notebooks/05-training-runs.ipynb
 */
export function flipAveragedSiamese(model: tf.LayersModel): (a: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  const embed = flipAveragedEmbedding(siameseEmbeddingNet(model));
  const head = siameseHead(model);
  return (a, b) => tf.tidy(() => head(embed(a), embed(b)));
}

/**
 * An embedding network's flip-averaged embedding (see {@link flipAveragedSiamese}): the mean of the embeddings of
 * images `[n, h, w, c]` and of their left-right mirrors, in inference mode; `[n, d]`.
 * @see notebooks/05-training-runs.ipynb
 */
export function flipAveragedEmbedding(net: tf.LayersModel): (x: tf.Tensor) => tf.Tensor {
  return (x) => tf.tidy(() => {
    const n = x.shape[0];
    const e = net.apply(tf.concat([x, tf.reverse(x, 2)], 0), { training: false }) as tf.Tensor;
    return tf.add(e.slice([0, 0], [n, -1]), e.slice([n, 0], [n, -1])).div(2);
  });
}
