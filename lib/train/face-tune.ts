/**
 * Fine-tuning face-api's recognition ResNet on LFW, per fold of View 2, so the network the project trains
 * beats the same network zero-shot.
 *
 * What is trained is the net's top (lib/faces/recognition-net.ts: the last down-sampling residual block
 * and the 256 -> 128 projection, 1.2 M weights), started from face-api's weights, so step 0 *is* the
 * zero-shot descriptor. The frozen trunk's activations come from a {@link TrunkCache} (one pass over the
 * photos, detection included), so a fold trains in about a minute on two cores.
 *
 * The protocol, per test fold k (View 2's "unrestricted" setting: identities, not just the listed pairs):
 * - training images: *every* image, in the cache, of every person named in the pairs of the eight folds
 *   that are neither k nor its validation fold (k + 1); View 2's folds share no people, and the leak check
 *   proves no test or validation person or image is among them;
 * - batches of P identities x K images (people with two or more images) plus single images of other people
 *   (negatives only), each image taken as its chip or its mirror image at random (seeded), and each validation
 *   and test image described as the mean of the two (`flip`);
 * - the loss: dlib's own pairwise metric loss (contrastive with a margin on both sides of dlib's 0.6
 *   distance: same-person pairs pulled below 0.6 - m, different people pushed past 0.6 + m, over every pair in
 *   the batch) or batch-hard triplet;
 * - early stopping on the validation fold (checked every `evalEvery` steps): by default the AUC over every pair of
 *   its people's images (`validation: 'people'`, 300–500 k pairs), since its 600 pairs are ordered almost perfectly
 *   already at step 0 (AUC 0.999+), so their AUC moves in the fourth decimal by chance; the decision threshold is
 *   fitted on the validation fold's pairs, for the tuned and the zero-shot descriptors alike, and the test fold is
 *   scored once at the end.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { IsSame, PairList } from '../data/types';
import { refKey } from '../data/dataset';
import { makeSplit, splitRng, view2ValidationFold, type SplitConfigInput } from '../data/split';
import type { Dataset } from '../data/dataset';
import { accuracyAt, auc, bestThreshold, bootstrapCi, summarizeFolds, type ConfidenceInterval } from '../eval';
import { TRUNK_SIZE, topDescriptors, zeroShotTop, type ConvScale, type RecognitionNet, type RecognitionTop } from '../faces/recognition-net';
import { emptyFoundCounts, type TrunkCache, type TrunkFoundBy } from '../faces/trunk-cache';
import { euclideanDistance } from '../distances/arrays';
import { batchContrastiveLoss } from '../losses/batch-contrastive';
import { tripletLoss } from '../losses/triplet';
import { writeFileAtomicSafe } from '../util/files';
import { configHash } from '../util/hash';
import { artifactsDir } from '../util/paths';
import type { Rng } from '../util/rng';
import { stream } from '../util/streams';

/** How to fine-tune. JSON data. */
export interface FaceTuneConfig {
  /** `'contrastive'`: dlib's pairwise metric loss; `'triplet'`: batch-hard triplet. */
  readonly loss: 'contrastive' | 'triplet';
  /** Contrastive: the half-width around `threshold`; triplet: the margin. */
  readonly margin: number;
  /** The distance the contrastive loss centres on (dlib's 0.6). */
  readonly threshold: number;
  /** Identities per batch (each with up to `imagesPerIdentity` images). */
  readonly identities: number;
  readonly imagesPerIdentity: number;
  /** Extra single images of other people per batch (negatives only). */
  readonly singles: number;
  readonly learningRate: number;
  readonly maxSteps: number;
  readonly evalEvery: number;
  /** Stop after this many evaluations without a better validation AUC. */
  readonly patience: number;
  /**
   * Take each training image as its chip or its mirror image at random; describe each validation and test image
   * as the mean of both (on by default: on View 2 it lifted zero-shot from 98.83 to 99.10 %, BENCHMARKS.md).
   */
  readonly flip: boolean;
  /** What is trained: the last residual block and the projection, or the projection only. */
  readonly layers: 'block+fc' | 'fc';
  readonly seed: number;
  /**
   * Other copies of the images to train on as well (e.g. `['tight']`: tight, small, partly grey crops of them,
   * described into their own trunk cache, {@link TuneFoldOptions.augment}): each training image is taken from
   * one of these copies half the time (the copy picked at random), else from the original. Images a copy found
   * no face in are taken from the original. Absent: originals only.
   */
  readonly augment?: readonly string[];
  /** With `augment`: the share of training images taken from a copy (absent: half). */
  readonly augmentShare?: number;
  /**
   * Batches of look-alikes: the batch's identities come in groups of this many, each a randomly drawn person and
   * the people nearest to them (by the mean of their zero-shot descriptors), and its single images are the ones
   * nearest to those people; so most pairs in a batch are ones face-api finds hard, not ones it already
   * separates by far. Absent: identities and single images drawn at random.
   */
  readonly hardBatches?: number;
  /**
   * What early stopping watches: `'pairs'`, the validation fold's pairs' AUC; `'people'` (the default), the AUC over
   * every pair of images (up to 8 a person, the first by name) of the validation fold's people: hundreds of thousands
   * of pairs instead of 600, so a change in the fourth decimal is a measurement, not noise. The threshold is
   * fitted on the validation fold's pairs either way. With `augment`, the same people's images in each copy's cache
   * are scored the same way and the AUCs averaged, so early stopping also watches the copies (e.g. tight crops).
   */
  readonly validation?: 'pairs' | 'people';
  /**
   * Mix the tuned top with face-api's own (weight-space ensembling, "WiSE-FT": Wortsman et al., 2022): after early
   * stopping, each weight becomes (1 − α)·zero-shot + α·tuned for every α listed (each in (0, 1)), and the mix with the
   * best validation AUC is kept when it beats both ends (α = 0: face-api's top; α = 1: the tuned one). The hope: fine-
   * tuning on a few thousand images moves the weights past where photos unlike the training ones (tight crops) still
   * gain, and a mix keeps the gain and the robustness. Measured on View 2 it does not (BENCHMARKS.md, 2026-12-05): the
   * winning mixes beat the tuned top on validation by noise, and lost accuracy. Absent (the default): the tuned top as
   * early stopping left it.
   */
  readonly mix?: readonly number[];
  /**
   * Describe with face-api's own top beside the tuned one (a score-level ensemble): a face's descriptor is the two
   * tops' descriptors side by side, each scaled by 1/√2, so the distance between two faces is the root mean square of
   * the two tops' distances, on the scale dlib's threshold is on. Early stopping, thresholds and test scores all use
   * it; the trunk is shared, so it costs one more pass of the small top. Tuning on a few thousand images moves the
   * top by about as much as its training noise; beside face-api's, what it learned (e.g. from tight crops) is kept
   * and that noise damped (on View 2 with tight crops: every fold's tight-pair AUC at 0.99 or more, BENCHMARKS.md).
   * Absent: the tuned top alone.
   */
  readonly withZeroShot?: boolean;
  /**
   * Train deeper: the trunk's last 1 or 2 residual blocks (`conv256_2`, then `conv256_1`; 1.2 M weights each) are
   * trained with the top, from face-api's weights, so step 0 is still the zero-shot descriptor. The trunk cache must
   * hold the activations that many blocks short of the trunk's output (lib/faces/trunk-cache.ts `open`). Each
   * block costs about 19 M multiply-adds a face, 16 times the top's. Absent: the top alone.
   */
  readonly open?: 1 | 2;
}

export const DEFAULT_FACE_TUNE: Readonly<FaceTuneConfig> = Object.freeze({
  loss: 'contrastive', margin: 0.04, threshold: 0.6, identities: 32, imagesPerIdentity: 4, singles: 32,
  learningRate: 2e-5, maxSteps: 3000, evalEvery: 100, patience: 8, flip: true, layers: 'block+fc', seed: 1, validation: 'people',
});

/**
 * The tuning that holds up on tight crops too (the one `lib/faces/lfw-results.json` records): half the training
 * images taken from their tight crops (a trunk cache of them is needed: `siamese eval --tight DIR`), and each face
 * described by the tuned top and face-api's side by side. On View 2 (BENCHMARKS.md, 2026-12-05) it scores the
 * originals as zero-shot with the mirror does, and the tight crops' pairs better on every fold.
 */
export const FACE_TUNE_TIGHT: Readonly<Partial<FaceTuneConfig>> = Object.freeze({ augment: Object.freeze(['tight']), withZeroShot: true });

/** Checks a config, filling defaults; errors name the bad field. */
export function resolveFaceTune(partial: Partial<FaceTuneConfig> = {}): FaceTuneConfig {
  const c = { ...DEFAULT_FACE_TUNE, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) } as FaceTuneConfig;
  if (c.loss !== 'contrastive' && c.loss !== 'triplet') throw new RangeError(`face-tune loss must be "contrastive" or "triplet", got ${JSON.stringify(c.loss)}`);
  for (const k of ['margin', 'threshold', 'learningRate'] as const) {
    if (typeof c[k] !== 'number' || !(c[k] > 0) || !Number.isFinite(c[k])) throw new RangeError(`face-tune ${k} must be a positive number, got ${JSON.stringify(c[k])}`);
  }
  for (const k of ['identities', 'imagesPerIdentity', 'maxSteps', 'evalEvery', 'patience'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new RangeError(`face-tune ${k} must be a positive integer, got ${JSON.stringify(c[k])}`);
  }
  if (!Number.isInteger(c.singles) || c.singles < 0) throw new RangeError(`face-tune singles must be an integer >= 0, got ${JSON.stringify(c.singles)}`);
  if (c.imagesPerIdentity < 2) throw new RangeError(`face-tune imagesPerIdentity must be at least 2 (a same-person pair), got ${c.imagesPerIdentity}`);
  if (c.layers !== 'block+fc' && c.layers !== 'fc') throw new RangeError(`face-tune layers must be "block+fc" or "fc", got ${JSON.stringify(c.layers)}`);
  if (typeof c.flip !== 'boolean') throw new RangeError(`face-tune flip must be true or false, got ${JSON.stringify(c.flip)}`);
  if (c.augment !== undefined && (!Array.isArray(c.augment) || !c.augment.every((n) => typeof n === 'string' && n.length > 0))) {
    throw new RangeError(`face-tune augment must be a list of copy names (e.g. ["tight"]), got ${JSON.stringify(c.augment)}`);
  }
  // no copies resolves to absent, so configs (and their result folders) from before the field are unchanged
  if (c.augment !== undefined && c.augment.length === 0) delete (c as { augment?: readonly string[] }).augment;
  if (c.augmentShare !== undefined && (typeof c.augmentShare !== 'number' || !(c.augmentShare > 0 && c.augmentShare <= 1))) {
    throw new RangeError(`face-tune augmentShare must be in (0, 1], got ${JSON.stringify(c.augmentShare)}`);
  }
  if (c.hardBatches !== undefined && (!Number.isInteger(c.hardBatches) || c.hardBatches < 2 || c.hardBatches > c.identities)) {
    throw new RangeError(`face-tune hardBatches must be an integer from 2 to identities (${c.identities}), got ${JSON.stringify(c.hardBatches)}`);
  }
  if (c.validation !== undefined && c.validation !== 'pairs' && c.validation !== 'people') throw new RangeError(`face-tune validation must be "pairs" or "people", got ${JSON.stringify(c.validation)}`);
  // the default resolves to absent, so configs (and their result folders) from before the field are unchanged
  if (c.validation === 'pairs') delete (c as { validation?: string }).validation;
  if (c.augmentShare !== undefined && c.augment === undefined) throw new RangeError('face-tune augmentShare needs augment (the copies to take that share from)');
  if (c.mix !== undefined && (!Array.isArray(c.mix) || !c.mix.every((a) => typeof a === 'number' && a > 0 && a < 1))) {
    throw new RangeError(`face-tune mix must be a list of weights of the tuned top, each between 0 and 1 (e.g. [0.25, 0.5, 0.75]), got ${JSON.stringify(c.mix)}`);
  }
  // no weights resolves to absent, so configs (and their result folders) from before the field are unchanged
  if (c.mix !== undefined && c.mix.length === 0) delete (c as { mix?: readonly number[] }).mix;
  if (c.withZeroShot !== undefined && typeof c.withZeroShot !== 'boolean') throw new RangeError(`face-tune withZeroShot must be true or false, got ${JSON.stringify(c.withZeroShot)}`);
  // false resolves to absent, as above
  if (c.withZeroShot === false) delete (c as { withZeroShot?: boolean }).withZeroShot;
  if (c.open !== undefined && !([0, 1, 2] as unknown[]).includes(c.open)) throw new RangeError(`face-tune open must be 0, 1 or 2 (the trunk's last blocks trained with the top), got ${JSON.stringify(c.open)}`);
  // 0 resolves to absent, as above
  if ((c.open as number) === 0) delete (c as { open?: number }).open;
  return c;
}

/** A trainable copy of the top's weights. */
export interface TopVariables extends RecognitionTop {
  readonly variables: readonly tf.Variable[];
  /** The current values, as plain arrays (to keep the best step). */
  snapshot(): Float32Array[];
  restore(values: readonly Float32Array[]): void;
  dispose(): void;
}

let topVariablesMade = 0;

/**
 * The top's weights as `tf.Variable`s, starting at `top`'s values: its blocks' first (conv1's filters, bias, scale
 * weights and biases, conv2's, block by block), then the down block's conv1 and conv2, then `fc`.
 */
export function topVariables(top: RecognitionTop): TopVariables {
  // a variable shares its initial tensor's data until assigned; the tensor itself stays face-api's
  const id = ++topVariablesMade;
  const v = (t: tf.Tensor, name: string) => tf.variable(t, true, `faceTune${id}/${name}`);
  const cs = (c: ConvScale, n: string): ConvScale => ({
    filters: v(c.filters, `${n}/filters`) as unknown as tf.Tensor4D, bias: v(c.bias, `${n}/bias`) as unknown as tf.Tensor1D,
    scaleWeights: v(c.scaleWeights, `${n}/scaleWeights`) as unknown as tf.Tensor1D, scaleBiases: v(c.scaleBiases, `${n}/scaleBiases`) as unknown as tf.Tensor1D,
  });
  const parts = (c: ConvScale) => [c.filters, c.bias, c.scaleWeights, c.scaleBiases];
  const blocks = (top.blocks ?? []).map((b, i) => ({ conv1: cs(b.conv1, `block${i}/conv1`), conv2: cs(b.conv2, `block${i}/conv2`) }));
  const conv1 = cs(top.conv1, 'conv1');
  const conv2 = cs(top.conv2, 'conv2');
  const fc = v(top.fc, 'fc') as unknown as tf.Tensor2D;
  const variables = [...blocks.flatMap((b) => [...parts(b.conv1), ...parts(b.conv2)]), ...parts(conv1), ...parts(conv2), fc] as unknown as tf.Variable[];
  return {
    ...(blocks.length ? { blocks } : {}), conv1, conv2, fc, variables,
    snapshot: () => variables.map((x) => x.dataSync().slice() as Float32Array),
    restore: (values) => variables.forEach((x, i) => tf.tidy(() => x.assign(tf.tensor(values[i], x.shape)))),
    dispose: () => tf.dispose(variables),
  };
}

/** Descriptors of cached images with the given top: the chip's, or (flip) the mean of chip and mirror. */
export function describeCached(top: RecognitionTop, cache: TrunkCache, refs: readonly string[], flip: boolean, batch = 256): Float32Array[] {
  const out: Float32Array[] = [];
  for (let s = 0; s < refs.length; s += batch) {
    const part = refs.slice(s, s + batch);
    const views = flip ? 2 : 1;
    const buf = new Float32Array(part.length * views * TRUNK_SIZE);
    part.forEach((r, i) => {
      const a = cache.activations(r);
      buf.set(a.subarray(0, TRUNK_SIZE), i * views * TRUNK_SIZE);
      if (flip) buf.set(a.subarray(TRUNK_SIZE, 2 * TRUNK_SIZE), (i * 2 + 1) * TRUNK_SIZE);
    });
    const t = tf.tidy(() => topDescriptors(top, tf.tensor4d(buf, [part.length * views, 4, 4, 256])));
    const d = t.dataSync() as Float32Array;
    t.dispose();
    for (let i = 0; i < part.length; i++) {
      const v = new Float32Array(128);
      for (let k = 0; k < views; k++) for (let j = 0; j < 128; j++) v[j] += d[(i * views + k) * 128 + j] / views;
      out.push(v);
    }
  }
  return out;
}

/**
 * The tuned model's descriptors ({@link describeCached}): the tuned top's, or with `beside` (face-api's own top,
 * {@link FaceTuneConfig.withZeroShot}) both tops' side by side, each scaled by 1/√2. `besideDesc` may hold `beside`'s
 * descriptors of the same refs, already computed (they do not change while the top trains).
 */
export function describeTuned(top: RecognitionTop, cache: TrunkCache, refs: readonly string[], flip: boolean, beside?: RecognitionTop, besideDesc?: readonly Float32Array[]): Float32Array[] {
  const d = describeCached(top, cache, refs, flip);
  if (!beside) return d;
  const z = besideDesc ?? describeCached(beside, cache, refs, flip);
  if (z.length !== d.length) throw new Error(`describeTuned: ${z.length} descriptors beside the tuned top's ${d.length}`);
  return d.map((v, i) => {
    const out = new Float32Array(2 * v.length);
    for (let j = 0; j < v.length; j++) { out[j] = v[j] * Math.SQRT1_2; out[v.length + j] = z[i][j] * Math.SQRT1_2; }
    return out;
  });
}

/** For {@link FaceTuneConfig.hardBatches}: each multi-image person's nearest other such people and nearest single images. */
export interface Neighbours {
  /** `people[i]`: indices of the other people, nearest first (at most `keep`). */
  readonly people: readonly Int32Array[];
  /** `singles[i]`: indices of the single images, nearest to person i's mean descriptor first (at most `keep`). */
  readonly singles: readonly Int32Array[];
}

/** Indices of the `keep` entries of `to` nearest to `from` (Euclidean), nearest first, leaving out index `skip`. */
function nearest(from: Float32Array, to: readonly Float32Array[], keep: number, skip = -1): Int32Array {
  const d = to.map((v) => euclideanDistance(from, v));
  const idx = Array.from(d.keys()).filter((j) => j !== skip).sort((a, b) => d[a] - d[b] || a - b);
  return Int32Array.from(idx.slice(0, keep));
}

/**
 * Who looks like whom, by zero-shot descriptors: each person's mean descriptor (of `people[i]`'s images) and
 * each single image's own, described with `top` from `cache` (mirror-averaged with `flip`).
 */
export function findNeighbours(top: RecognitionTop, cache: TrunkCache, people: readonly (readonly string[])[], singles: readonly string[], flip: boolean, keep = 16): Neighbours {
  const refs = [...people.flat(), ...singles];
  const d = describeCached(top, cache, refs, flip);
  let at = 0;
  const means = people.map((imgs) => {
    const m = new Float32Array(128);
    for (let k = 0; k < imgs.length; k++, at++) for (let j = 0; j < 128; j++) m[j] += d[at][j] / imgs.length;
    return m;
  });
  const single = d.slice(at);
  return {
    people: means.map((m, i) => nearest(m, means, keep, i)),
    singles: means.map((m) => nearest(m, single, keep)),
  };
}

/**
 * One batch's identities for {@link FaceTuneConfig.hardBatches}: people drawn in random order, each followed by
 * their nearest people not yet drawn, `group` at a time, until `count`; then single images nearest to them (two
 * per person, distinct), topped up at random to `singles`. Indices into the lists {@link findNeighbours} took.
 */
export function drawHardBatch(rng: Rng, near: Neighbours, count: number, group: number, singles: number, singleCount: number): { people: number[]; singles: number[] } {
  const chosen = new Set<number>();
  const people: number[] = [];
  for (const seed of rng.shuffled(Array.from(near.people.keys()))) {
    if (people.length >= count) break;
    if (chosen.has(seed)) continue;
    chosen.add(seed);
    people.push(seed);
    let g = 1;
    for (const j of near.people[seed]) {
      if (g >= group || people.length >= count) break;
      if (!chosen.has(j)) { chosen.add(j); people.push(j); g++; }
    }
  }
  const near2 = [...new Set(people.flatMap((p) => Array.from(near.singles[p].subarray(0, 2))))];
  const picked = rng.sample(near2, Math.min(singles, near2.length));
  const have = new Set(picked);
  const rest = Array.from({ length: singleCount }, (_, j) => j).filter((j) => !have.has(j));
  return { people, singles: [...picked, ...rng.sample(rest, Math.min(singles - picked.length, rest.length))] };
}

/** Distances of `pairs` from descriptors by ref. */
export function pairDistances(pairs: PairList['pairs'], desc: Map<string, Float32Array>): number[] {
  return pairs.map((p) => euclideanDistance(desc.get(refKey(p.a))!, desc.get(refKey(p.b))!));
}

/** Scores of one fold: accuracy at the validation threshold, and AUC, on the test pairs. */
export interface FoldScore {
  readonly accuracy: number;
  readonly auc: number;
  readonly threshold: number;
}

/** One fold's outcome. */
export interface FaceTuneFold extends FaceTuneResult {
  readonly fold: number;
  readonly validationFold: number;
}

const DIST = { higherIsCloser: false } as const;

function score(pairs: PairList['pairs'], vPairs: PairList['pairs'], desc: Map<string, Float32Array>): FoldScore {
  const v = pairDistances(vPairs, desc);
  const vy = vPairs.map((p) => p.isSame);
  const fit = bestThreshold(v, vy, DIST);
  const t = pairDistances(pairs, desc);
  const ty = pairs.map((p) => p.isSame) as IsSame[];
  return { accuracy: accuracyAt(t, ty, fit.threshold, DIST), auc: auc(t, ty, DIST), threshold: fit.threshold };
}

/** Descriptors of `refs` from `cache` with `top` (see {@link describeCached}), by ref. */
function describeByRef(top: RecognitionTop, cache: TrunkCache, refs: readonly string[], flip: boolean): Map<string, Float32Array> {
  return byRef(refs, describeCached(top, cache, refs, flip));
}

/** `desc` (of `refs`, in order) by ref. */
function byRef(refs: readonly string[], desc: readonly Float32Array[]): Map<string, Float32Array> {
  return new Map(refs.map((r, i) => [r, desc[i]]));
}

/** {@link FaceTuneConfig.validation} `'people'`: up to `perPerson` images (the first by name) of each person of `pairs`, and whose they are. */
export function validationPeople(cache: TrunkCache, pairs: PairList['pairs'], perPerson = 8): { refs: string[]; labels: number[] } {
  const people = [...new Set(pairs.flatMap((p) => [p.a.person, p.b.person]))].sort();
  const byPerson = new Map<string, string[]>(people.map((p) => [p, []]));
  for (const ref of [...cache.records.keys()].sort()) {
    const imgs = byPerson.get(ref.slice(0, ref.indexOf('/')));
    if (imgs && imgs.length < perPerson) imgs.push(ref);
  }
  const refs: string[] = [];
  const labels: number[] = [];
  people.forEach((p, i) => { for (const r of byPerson.get(p)!) { refs.push(r); labels.push(i); } });
  return { refs, labels };
}

/** AUC over every pair of `desc` (same person: equal `labels`), by Euclidean distance. */
export function peopleAuc(desc: readonly Float32Array[], labels: readonly number[]): number {
  const values: number[] = [];
  const same: IsSame[] = [];
  for (let i = 0; i < desc.length; i++) {
    for (let j = i + 1; j < desc.length; j++) { values.push(euclideanDistance(desc[i], desc[j])); same.push(labels[i] === labels[j] ? 1 : 0); }
  }
  return auc(values, same, DIST);
}

/** Throws unless `cache` holds the activations `open` blocks short of the trunk's output ({@link FaceTuneConfig.open}). */
function requireOpen(cache: TrunkCache, open: number): void {
  if (cache.open !== open) {
    throw new Error(`${cache.dir} holds the activations ${cache.open} block(s) short of the trunk's output, but this tuning trains ${open} of the trunk's blocks: it needs a cache ${open} short (lib/faces/trunk-cache.ts deriveTrunkCache makes one from a cache further short)`);
  }
}

/** Throws naming the first of `refs` that `cache` lacks (`what` says whose images they are). */
function requireCached(cache: TrunkCache, refs: Iterable<string>, what: string): void {
  for (const r of refs) if (!cache.records.has(r)) throw new Error(`${cache.dir}: ${r} (${what}) is not in the trunk cache; fill it first`);
}

/**
 * Scores `testPairs` from each of `others` (trunk caches of the same images seen another way), zero-shot
 * (`zeroTop`: face-api's top) and with `tuned` (beside `zeroTop` with `withZeroShot`), each thresholded on that cache's `valPairs`.
 */
function scoreOtherCaches(zeroTop: RecognitionTop, tuned: RecognitionTop, flip: boolean, withZeroShot: boolean, testPairs: PairList['pairs'], valPairs: PairList['pairs'],
  others: Readonly<Record<string, TrunkCache>>, log: (line: string) => void): Record<string, OtherCacheScore> {
  const held = heldRefs(testPairs, valPairs);
  const testRefs = new Set(testPairs.flatMap((p) => [refKey(p.a), refKey(p.b)]));
  const also: Record<string, OtherCacheScore> = {};
  for (const [name, other] of Object.entries(others)) {
    requireCached(other, held, 'a test or validation image');
    requireOpen(other, zeroTop.blocks?.length ?? 0);
    const found = emptyFoundCounts();
    for (const r of testRefs) found[other.records.get(r)!.found]++;
    // face-api's mirror-averaged descriptors serve zero-shot with the mirror and, with withZeroShot, the tuned model's second half
    const zeroFlip = describeCached(zeroTop, other, held, true);
    const tunedDesc = describeTuned(tuned, other, held, flip, withZeroShot ? zeroTop : undefined, withZeroShot && flip ? zeroFlip : undefined);
    also[name] = {
      zeroShot: score(testPairs, valPairs, describeByRef(zeroTop, other, held, false)), zeroShotFlip: score(testPairs, valPairs, byRef(held, zeroFlip)),
      tuned: score(testPairs, valPairs, byRef(held, tunedDesc)), found, records: recordsKey(other, held),
    };
    const pct = (f: FoldScore) => `${(100 * f.accuracy).toFixed(2)} % (AUC ${f.auc.toFixed(4)})`;
    log(`  ${name}: zero-shot ${pct(also[name].zeroShot)}, with the mirror ${pct(also[name].zeroShotFlip!)}, tuned ${pct(also[name].tuned)}`);
  }
  return also;
}

/** Options of {@link tuneFold} and {@link tuneSplit}. */
export interface TuneFoldOptions {
  readonly log?: (line: string) => void;
  /**
   * Other trunk caches of the same images seen another way (e.g. tight crops of them, found by the detection
   * cascade): the test pairs are scored from each too, zero-shot and with this task's tuned top, each
   * thresholded on its own cache's validation pairs. Keyed by a name the result keeps.
   */
  readonly alsoScore?: Readonly<Record<string, TrunkCache>>;
  /** The copies {@link FaceTuneConfig.augment} names, by name (trunk caches holding the training images). */
  readonly augment?: Readonly<Record<string, TrunkCache>>;
  /** Called with the tuned top's weights (the best step's; the order of {@link TopVariables.variables}). */
  readonly onWeights?: (values: readonly Float32Array[]) => void;
}

/** The same test pairs scored from another trunk cache ({@link TuneFoldOptions.alsoScore}). */
export interface OtherCacheScore {
  readonly zeroShot: FoldScore;
  /** Zero-shot with the mirror image averaged in (absent in results from before it was scored: they are scored again). */
  readonly zeroShotFlip?: FoldScore;
  readonly tuned: FoldScore;
  /** How the faces of the test pairs' images in that cache were found. */
  readonly found: Readonly<Record<TrunkFoundBy, number>>;
  /**
   * Which records of that cache were scored (a hash of the test and validation images' shard and line): a
   * record redone since (e.g. by the detection cascade's rescue passes) makes the score stale, and a fold with
   * kept weights is scored again.
   */
  readonly records?: string;
}

/** The hash of `refs`' records in `cache` (their shard and line), for {@link OtherCacheScore.records}. */
function recordsKey(cache: TrunkCache, refs: readonly string[]): string {
  return configHash(refs.map((r) => { const rec = cache.records.get(r); return rec ? [r, rec.shard, rec.index] : [r]; }));
}

/** The test and validation images of a fold's pairs, sorted. */
export function heldRefs(testPairs: PairList['pairs'], valPairs: PairList['pairs']): string[] {
  return [...new Set([...testPairs, ...valPairs].flatMap((p) => [refKey(p.a), refKey(p.b)]))].sort();
}

/** One person-disjoint tuning problem: whose images train, which pairs stop and calibrate, which test. */
export interface TuneTask {
  /** Names the problem in logs and errors (e.g. `pairs.txt fold 3`). */
  readonly name: string;
  /** Training people: every image of theirs in the cache is used. */
  readonly trainPeople: readonly string[];
  /** Early stopping and the threshold. */
  readonly valPairs: PairList['pairs'];
  /** Scored once, at the end. */
  readonly testPairs: PairList['pairs'];
  /** The task's random stream name (batches, mirror choices). */
  readonly stream: string;
}

/** The outcome of one {@link TuneTask}. */
export interface FaceTuneResult {
  readonly trainPeople: number;
  readonly trainImages: number;
  /** Zero-shot (face-api's weights), chip only, and with the mirror averaged in. */
  readonly zeroShot: FoldScore;
  readonly zeroShotFlip: FoldScore;
  /** The tuned top (with the mirror averaged in when `flip`). */
  readonly tuned: FoldScore;
  readonly bestStep: number;
  readonly steps: number;
  /** With `mix`: the weight of the tuned top in the kept one (1: not mixed; 0 when early stopping kept step 0). */
  readonly mix?: number;
  readonly validationAuc: { readonly zeroShot: number; readonly tuned: number };
  readonly seconds: number;
  /** Test images whose face no detector found (their fixed chip was used). */
  readonly testFixedChips: number;
  /** Test pairs' distances, tuned and zero-shot (chip only), for paired comparisons and intervals. */
  readonly test: { readonly isSame: readonly IsSame[]; readonly tuned: readonly number[]; readonly zeroShot: readonly number[] };
  /** The test pairs scored from each of {@link TuneFoldOptions.alsoScore}'s caches. */
  readonly also?: Readonly<Record<string, OtherCacheScore>>;
}

/** View 2's pairs for test fold `fold`: its validation fold (the next one), and the other eight folds' pairs. */
function foldPairs(list: PairList, fold: number): { val: number; testPairs: PairList['pairs']; valPairs: PairList['pairs']; trainPairs: PairList['pairs'] } {
  const val = view2ValidationFold(list.folds, fold);
  return {
    val,
    testPairs: list.pairs.filter((_, i) => list.folds[i] === fold),
    valPairs: list.pairs.filter((_, i) => list.folds[i] === val),
    trainPairs: list.pairs.filter((_, i) => list.folds[i] !== fold && list.folds[i] !== val),
  };
}

/** A tuned top's weights as {@link tuneView2} keeps them (`fold-<k>.top.f32`), split to `vars`' shapes; errors name the file. */
export function readTopWeights(file: string, vars: Pick<TopVariables, 'variables'>): Float32Array[] {
  const buf = fs.readFileSync(file);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const sizes = vars.variables.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (buf.byteLength !== total * 4) throw new Error(`${file}: ${buf.byteLength} bytes, but the top's weights take ${total * 4}`);
  let at = 0;
  return sizes.map((n) => { const v = all.slice(at, at + n); at += n; return v; });
}

/**
 * Fine-tunes the top for test fold `fold` of View 2 (`list`: pairs.txt; validation fold: the next one) and
 * scores it. Throws when the cache lacks an image of the validation or test pairs, or when the training
 * folds share a person with them.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function tuneFold(net: RecognitionNet, cache: TrunkCache, list: PairList, fold: number, partial: Partial<FaceTuneConfig> = {}, options: TuneFoldOptions = {}): FaceTuneFold {
  const { val, testPairs, valPairs, trainPairs } = foldPairs(list, fold);
  const people = (ps: PairList['pairs']) => new Set(ps.flatMap((p) => [p.a.person, p.b.person]));
  const heldOut = new Set([...people(testPairs), ...people(valPairs)]);
  const overlap = [...people(trainPairs)].filter((p) => heldOut.has(p));
  if (overlap.length) throw new Error(`${list.name}: fold ${fold + 1}'s training folds share ${overlap.length} people with its test or validation fold (${overlap.slice(0, 3).join(', ')})`);
  const r = tuneSplit(net, cache, {
    name: `${list.name} fold ${fold + 1} (validation fold ${val + 1})`, trainPeople: [...people(trainPairs)].sort(), valPairs, testPairs, stream: `face-tune/fold${fold}`,
  }, partial, options);
  return { fold, validationFold: val, ...r };
}

/**
 * Fine-tunes the top on the cached images of `task.trainPeople`, stopping early on `task.valPairs`, and
 * scores tuned and zero-shot descriptors on `task.testPairs` with thresholds fitted on the validation pairs.
 * The leak check: no training person appears in a validation or test pair. Throws naming the first image
 * the cache lacks.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function tuneSplit(net: RecognitionNet, cache: TrunkCache, task: TuneTask, partial: Partial<FaceTuneConfig> = {}, options: TuneFoldOptions = {}): FaceTuneResult {
  const cfg = resolveFaceTune(partial);
  const started = Date.now();
  const log = options.log ?? (() => {});
  const { testPairs, valPairs } = task;
  const heldOut = new Set([...testPairs, ...valPairs].flatMap((p) => [p.a.person, p.b.person]));
  const leaked = task.trainPeople.filter((p) => heldOut.has(p));
  if (leaked.length) throw new Error(`leak: ${task.name}: ${leaked.length} training people are in its test or validation pairs (${leaked.slice(0, 3).join(', ')})`);
  const trainSet = new Set(task.trainPeople);
  const byPerson = new Map<string, string[]>();
  for (const ref of [...cache.records.keys()].sort()) {
    const person = ref.slice(0, ref.indexOf('/'));
    if (trainSet.has(person)) byPerson.set(person, [...(byPerson.get(person) ?? []), ref]);
  }
  const heldList = heldRefs(testPairs, valPairs);
  // every cache the task reads from, checked before any training
  for (const c of [cache, ...Object.values(options.alsoScore ?? {})]) requireCached(c, heldList, `a test or validation image of ${task.name}`);
  const copies = (cfg.augment ?? []).map((name) => {
    const copy = options.augment?.[name];
    if (!copy) throw new Error(`${task.name}: face-tune augment names the copy "${name}", but no trunk cache was given for it`);
    return copy;
  });
  for (const c of [cache, ...copies, ...Object.values(options.alsoScore ?? {})]) requireOpen(c, cfg.open ?? 0);
  // face-api's own top, with the trunk's blocks this tuning trains in front of it: step 0 and the zero-shot scores
  const zeroTop = zeroShotTop(net, cfg.open ?? 0);
  const multi = [...byPerson.values()].filter((r) => r.length >= 2);
  const singles = [...byPerson.values()].filter((r) => r.length === 1).map((r) => r[0]);
  const trainImages = [...byPerson.values()].reduce((s, r) => s + r.length, 0);
  log(`${task.name}: training ${byPerson.size} people (${multi.length} with 2+ images), ${trainImages} images; ${valPairs.length} validation and ${testPairs.length} test pairs`);

  const zeroDesc = describeByRef(zeroTop, cache, heldList, false);
  const zeroShot = score(testPairs, valPairs, zeroDesc);
  const zeroFlip = describeCached(zeroTop, cache, heldList, true);
  const zeroShotFlip = score(testPairs, valPairs, byRef(heldList, zeroFlip));
  // the tuned model: the tuned top, or (withZeroShot) it and face-api's side by side, face-api's half computed once per image set
  const beside = cfg.withZeroShot ? zeroTop : undefined;
  const besideMemo = new Map<readonly string[], Float32Array[]>(cfg.flip ? [[heldList, zeroFlip]] : []);
  const describeModel = (top: RecognitionTop, c: TrunkCache, refs: readonly string[]): Float32Array[] => {
    if (beside && !besideMemo.has(refs)) besideMemo.set(refs, describeCached(beside, c, refs, cfg.flip));
    return describeTuned(top, c, refs, cfg.flip, beside, besideMemo.get(refs));
  };
  // with copies trained on (augment), each copy's images of the same people are a validation set too: the score is the mean
  const people = cfg.validation === 'people' ? [cache, ...copies].map((c) => ({ cache: c, ...validationPeople(c, valPairs) })) : undefined;
  const valAuc = (top: RecognitionTop): number => (people
    ? people.reduce((sum, v) => sum + peopleAuc(describeModel(top, v.cache, v.refs), v.labels), 0) / people.length
    : auc(pairDistances(valPairs, byRef(heldList, describeModel(top, cache, heldList))), valPairs.map((p) => p.isSame), DIST));
  const zeroVal = valAuc(zeroTop);
  if (people) log(`  validation: every pair of ${people[0].refs.length} images of the validation fold's ${new Set(people[0].labels).size} people${copies.length ? `, and of their ${copies.length === 1 ? 'copies' : `copies in each of ${copies.length} caches`} (AUC averaged)` : ''}`);

  const neighbours = cfg.hardBatches ? findNeighbours(zeroTop, cache, multi, singles, cfg.flip) : undefined;
  const rng = stream(cfg.seed, 'faceTune').fork(task.stream);
  const vars = topVariables(zeroTop);
  const optimizer = tf.train.adam(cfg.learningRate);
  const zeroValues = vars.snapshot();
  let best = { auc: zeroVal, step: 0, values: zeroValues };
  let sinceBest = 0;
  let step = 0;
  try {
    while (step < cfg.maxSteps && sinceBest < cfg.patience) {
      for (let s = 0; s < cfg.evalEvery && step < cfg.maxSteps; s++, step++) {
        const refs: string[] = [];
        const labels: number[] = [];
        const hard = neighbours && drawHardBatch(rng, neighbours, Math.min(cfg.identities, multi.length), cfg.hardBatches!, Math.min(cfg.singles, singles.length), singles.length);
        (hard ? hard.people.map((i) => multi[i]) : rng.sample(multi, Math.min(cfg.identities, multi.length))).forEach((imgs, id) => {
          for (const r of rng.sample(imgs, Math.min(cfg.imagesPerIdentity, imgs.length))) { refs.push(r); labels.push(id); }
        });
        (hard ? hard.singles.map((i) => singles[i]) : rng.sample(singles, Math.min(cfg.singles, singles.length))).forEach((r, i) => { refs.push(r); labels.push(cfg.identities + i); });
        const buf = new Float32Array(refs.length * TRUNK_SIZE);
        refs.forEach((r, i) => {
          let from = cache;
          if (copies.length && rng.bool(cfg.augmentShare ?? 0.5)) {
            const copy = copies[rng.int(copies.length)];
            if (copy.records.get(r) && copy.records.get(r)!.found !== 'fixed') from = copy;
          }
          const a = from.activations(r);
          const view = cfg.flip && rng.bool() ? 1 : 0;
          buf.set(a.subarray(view * TRUNK_SIZE, (view + 1) * TRUNK_SIZE), i * TRUNK_SIZE);
        });
        const x = tf.tensor4d(buf, [refs.length, 4, 4, 256]);
        const cost = optimizer.minimize(() => {
          const d = topDescriptors(vars, x);
          return cfg.loss === 'contrastive'
            ? batchContrastiveLoss(d, labels, { posMargin: cfg.threshold - cfg.margin, margin: cfg.threshold + cfg.margin, power: 1 })
            : tripletLoss(d, labels, { margin: cfg.margin, mining: 'batchHard' }) as tf.Scalar;
        }, true, cfg.layers === 'fc' ? [vars.variables[vars.variables.length - 1]] : [...vars.variables]);
        cost?.dispose();
        x.dispose();
      }
      const a = valAuc(vars);
      if (a > best.auc) { best = { auc: a, step, values: vars.snapshot() }; sinceBest = 0; } else sinceBest++;
      log(`  step ${step}: validation AUC ${a.toFixed(5)} (best ${best.auc.toFixed(5)} at step ${best.step})`);
    }
    const mixed = cfg.mix && best.step > 0 ? mixWithZeroShot(vars, zeroValues, best, cfg.mix, valAuc, log) : null;
    if (mixed) best = { ...best, auc: mixed.auc, values: mixed.values };
    vars.restore(best.values);
    const tunedDesc = byRef(heldList, describeModel(vars, cache, heldList));
    const tuned = score(testPairs, valPairs, tunedDesc);
    const testRefs = new Set(testPairs.flatMap((p) => [refKey(p.a), refKey(p.b)]));
    const testFixedChips = [...testRefs].filter((r) => cache.records.get(r)!.found === 'fixed').length;
    const test = { isSame: testPairs.map((p) => p.isSame), tuned: pairDistances(testPairs, tunedDesc), zeroShot: pairDistances(testPairs, zeroDesc) };
    const also = scoreOtherCaches(zeroTop, vars, cfg.flip, !!cfg.withZeroShot, testPairs, valPairs, options.alsoScore ?? {}, log);
    options.onWeights?.(best.values);
    return {
      trainPeople: byPerson.size, trainImages, zeroShot, zeroShotFlip, tuned, bestStep: best.step, steps: step,
      ...(cfg.mix ? { mix: best.step === 0 ? 0 : mixed?.mix ?? 1 } : {}),
      validationAuc: { zeroShot: zeroVal, tuned: best.auc }, seconds: (Date.now() - started) / 1000, testFixedChips, test,
      ...(options.alsoScore ? { also } : {}),
    };
  } finally {
    vars.dispose();
    optimizer.dispose();
  }
}

/**
 * The mix of the zero-shot and tuned weights ({@link FaceTuneConfig.mix}) with the best validation AUC, or null when
 * none beats the tuned top itself (which already beat the zero-shot one, or early stopping would have kept step 0).
 * Leaves `vars` holding the last mix tried.
 */
export function mixWithZeroShot(vars: TopVariables, zero: readonly Float32Array[], tuned: { auc: number; values: readonly Float32Array[] }, alphas: readonly number[],
  valAuc: (top: RecognitionTop) => number, log: (line: string) => void): { mix: number; auc: number; values: Float32Array[] } | null {
  let best: { mix: number; auc: number; values: Float32Array[] } | null = null;
  for (const a of alphas) {
    const values = zero.map((z, i) => {
      const t = tuned.values[i];
      const out = new Float32Array(z.length);
      for (let j = 0; j < z.length; j++) out[j] = (1 - a) * z[j] + a * t[j];
      return out;
    });
    vars.restore(values);
    const auc = valAuc(vars);
    log(`  mix ${a} of the tuned top with face-api's: validation AUC ${auc.toFixed(5)} (tuned ${tuned.auc.toFixed(5)})`);
    if (auc > (best?.auc ?? tuned.auc)) best = { mix: a, auc, values };
  }
  return best;
}

/** Where a tuning config's per-fold results live: `<root>/<config hash>/fold-<k>.json`. */
export function faceTuneDir(cfg: FaceTuneConfig, root = artifactsDir('faces', 'lfw-tune')): string {
  return path.join(root, configHash(cfg));
}

/** The outcome over the folds done so far. */
export interface FaceTuneView2 {
  readonly config: FaceTuneConfig;
  readonly folds: readonly FaceTuneFold[];
  /** Folds asked for but neither cached nor trained (`train: false`). */
  readonly missing: readonly number[];
  readonly dir: string;
}

/** Options of {@link tuneView2}. */
export interface TuneView2Options extends TuneFoldOptions {
  /** Test folds (0-based; default all ten). */
  readonly folds?: readonly number[];
  /** false: only read the folds already done. */
  readonly train?: boolean;
  /** Root of the per-config result folders (default artifacts/faces/lfw-tune). */
  readonly root?: string;
}

/**
 * Runs {@link tuneFold} for each asked-for fold whose result is not cached yet, writing each as it ends (an
 * interrupted evaluation resumes at the next fold), and returns them all.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function tuneView2(net: RecognitionNet, cache: TrunkCache, list: PairList, partial: Partial<FaceTuneConfig> = {}, options: TuneView2Options = {}): FaceTuneView2 {
  const cfg = resolveFaceTune(partial);
  const dir = faceTuneDir(cfg, options.root);
  const wanted = options.folds ?? [...new Set(list.folds)].sort((a, b) => a - b);
  const folds: FaceTuneFold[] = [];
  const missing: number[] = [];
  for (const k of wanted) {
    const file = path.join(dir, `fold-${k + 1}.json`);
    if (fs.existsSync(file)) {
      let done: FaceTuneFold;
      try {
        done = JSON.parse(fs.readFileSync(file, 'utf8')) as FaceTuneFold;
      } catch (err) {
        throw new Error(`${file}: not a readable fold result (${(err as Error).message}); delete it to train the fold again`);
      }
      // a fold done before another cache was asked for (or before some of its records were redone) is scored
      // from its kept weights, else trained again
      const split = foldPairs(list, k);
      const held = heldRefs(split.testPairs, split.valPairs);
      const current = (name: string, other: TrunkCache) => done.also?.[name]?.records === recordsKey(other, held) && done.also[name].zeroShotFlip !== undefined;
      const lacking = Object.fromEntries(Object.entries(options.alsoScore ?? {}).filter(([name, other]) => !current(name, other)));
      const weightsFile = path.join(dir, `fold-${k + 1}.top.f32`);
      if (Object.keys(lacking).length && fs.existsSync(weightsFile)) {
        const zeroTop = zeroShotTop(net, cfg.open ?? 0);
        const vars = topVariables(zeroTop);
        try {
          vars.restore(readTopWeights(weightsFile, vars));
          done = { ...done, also: { ...done.also, ...scoreOtherCaches(zeroTop, vars, cfg.flip, !!cfg.withZeroShot, split.testPairs, split.valPairs, lacking, options.log ?? (() => {})) } };
          writeFileAtomicSafe(file, [`${JSON.stringify({ ...done, config: cfg }, null, 2)}\n`]);
        } finally {
          vars.dispose();
        }
      }
      if (Object.entries(options.alsoScore ?? {}).every(([name, other]) => current(name, other)) || options.train === false) { folds.push(done); continue; }
      options.log?.(`${file} has no ${Object.keys(lacking).join(', ')} scores and no kept weights: training fold ${k + 1} again`);
    }
    if (options.train === false) { missing.push(k); continue; }
    const r = tuneFold(net, cache, list, k, cfg, {
      ...options, onWeights: (values) => writeFileAtomicSafe(path.join(dir, `fold-${k + 1}.top.f32`), values.map((v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength))),
    });
    writeFileAtomicSafe(file, [`${JSON.stringify({ ...r, config: cfg }, null, 2)}\n`]);
    folds.push(r);
  }
  return { config: cfg, folds, missing, dir };
}

/** One split seed of a sampled protocol (e.g. the MobileNetV3 notebook's 300 / 75 / 100 pairs). */
export interface FaceTuneSplitRun extends FaceTuneResult {
  readonly splitSeed: number;
  /** 95 % bootstrap intervals of the test accuracy at the validation threshold. */
  readonly tunedCi: ConfidenceInterval;
  readonly zeroShotCi: ConfidenceInterval;
}

/**
 * Fine-tunes on each split seed's training people of a sampled split (`split`, e.g. `{ preset: 'seed1' }`:
 * the split `siamese data split --seed` draws) and scores tuned and zero-shot (step 0) on its test pairs.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function tuneSplits(net: RecognitionNet, cache: TrunkCache, dataset: Dataset, split: SplitConfigInput, seeds: readonly number[],
  partial: Partial<FaceTuneConfig> = {}, options: TuneFoldOptions = {}): { runs: FaceTuneSplitRun[]; tuned: ReturnType<typeof summarizeFolds>; zeroShot: ReturnType<typeof summarizeFolds> } {
  const runs = seeds.map((seed) => {
    const s = makeSplit(dataset, splitRng(seed), split);
    const r = tuneSplit(net, cache, { name: `split ${s.config.preset} seed ${seed}`, trainPeople: s.people.train, valPairs: s.pairs.val, testPairs: s.pairs.test, stream: `split-${s.config.preset}-${seed}` }, partial, options);
    const acc = (threshold: number) => (values: readonly number[], isSame: readonly IsSame[]) => accuracyAt(values, isSame, threshold, DIST);
    const rng = stream(seed, 'bootstrap');
    return {
      splitSeed: seed, ...r,
      tunedCi: bootstrapCi(r.test.tuned, r.test.isSame, acc(r.tuned.threshold), rng.fork('tuned')),
      zeroShotCi: bootstrapCi(r.test.zeroShot, r.test.isSame, acc(r.zeroShot.threshold), rng.fork('zero-shot')),
    };
  });
  return { runs, tuned: summarizeFolds(runs.map((r) => r.tuned.accuracy)), zeroShot: summarizeFolds(runs.map((r) => r.zeroShot.accuracy)) };
}
