/**
 * How hard is a synthetic set? Two baselines on its own View 1 files (threshold fitted on
 * pairsDevTrain.txt's people, accuracy measured on pairsDevTest.txt's held-out people):
 *
 * - raw pixels: Euclidean distance between the downscaled images. The set is meant to defeat this
 *   (at most 65 % on the default set), because pose, lighting and background change more pixels than
 *   identity does;
 * - an identity-signal check: a linear projection (PCA then Fisher LDA) fitted on the training people's
 *   identity labels, on two feature sets (downscaled pixels, and colour histograms of the central crop),
 *   compared by cosine distance. Well above 50 % means identity information is present and learnable
 *   from other people; near 50 % would mean the set is too hard.
 *
 * Plain arrays throughout; no tensors.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { readOfficialPairs } from '../data/pairs';
import type { IsSame, Pair } from '../data/types';
import { accuracyAt } from './confusion';
import { bestThreshold as fitThreshold } from './threshold';
import { AS_DISTANCE } from './scored';
import { fitPcaLda } from '../util/linalg';
import { cosineSimilarity, euclideanDistance } from '../distances/arrays';

/** Accuracy of a distance on balanced pairs with a threshold fitted elsewhere. */
export interface BaselineScore {
  /** Best accuracy on the fitting pairs (dev-train people). */
  readonly trainAccuracy: number;
  /** The fitted threshold: distance at most this means "same". */
  readonly threshold: number;
  /** Accuracy on the held-out people's pairs with that threshold. */
  readonly testAccuracy: number;
  /** Accuracy on the held-out pairs with the threshold that suits them best (an optimistic ceiling). */
  readonly testBestAccuracy: number;
}

/** The difficulty report of one set. */
export interface SynthDifficulty {
  readonly trainPairs: number;
  readonly testPairs: number;
  /** Side of the downscaled images used (pixels) and the central crop fraction. */
  readonly size: number;
  readonly crop: number;
  readonly grey: boolean;
  readonly rawPixel: BaselineScore;
  /** Null when `identity: false`. */
  readonly pixelLda: BaselineScore | null;
  readonly histogramLda: BaselineScore | null;
  readonly ms: number;
}

/** Options for {@link measureSynthDifficulty}. */
export interface DifficultyOptions {
  /** Side of the downscaled images (default 32). */
  size?: number;
  /** Central crop fraction before downscaling (default 1 = whole image; LFW's default crop is 0.6). */
  crop?: number;
  /** Raw-pixel distance on greyscale instead of RGB (default false). */
  grey?: boolean;
  /** Also fit the PCA+LDA identity-signal check (default true; it takes most of the time). */
  identity?: boolean;
}

/**
 * The best threshold for "distance <= t means same" on these pairs, and its accuracy.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
function score(train: { d: number[]; y: number[] }, test: { d: number[]; y: number[] }): BaselineScore {
  const fit = fitThreshold(train.d, train.y as IsSame[], AS_DISTANCE);
  return {
    trainAccuracy: fit.accuracy,
    threshold: fit.threshold,
    testAccuracy: accuracyAt(test.d, test.y as IsSame[], fit.threshold, AS_DISTANCE),
    testBestAccuracy: fitThreshold(test.d, test.y as IsSame[], AS_DISTANCE).accuracy,
  };
}

/** 1 − cosine similarity (1 for a zero vector). */
const cosineDistance = (a: ArrayLike<number>, b: ArrayLike<number>): number => 1 - cosineSimilarity(a, b);

/** Colour histogram (4 x 4 x 4 RGB bins, normalised, square-rooted) of an RGB image. */
function colourHistogram(rgb: Uint8Array): Float64Array {
  const h = new Float64Array(64);
  const n = rgb.length / 3;
  for (let i = 0; i < rgb.length; i += 3) h[((rgb[i] >> 6) << 4) | ((rgb[i + 1] >> 6) << 2) | (rgb[i + 2] >> 6)] += 1 / n;
  return h.map(Math.sqrt);
}

/**
 * Measures the raw-pixel baseline and the identity-signal check on the set in `root` (a folder with
 * LFW's layout and pairsDevTrain.txt / pairsDevTest.txt, such as a synthetic set).
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export async function measureSynthDifficulty(root: string, options: DifficultyOptions = {}): Promise<SynthDifficulty> {
  const t0 = performance.now();
  const size = options.size ?? 32;
  const crop = options.crop ?? 1;
  const trainPairs = (await readOfficialPairs(path.join(root, 'pairsDevTrain.txt'))).pairs;
  const testPairs = (await readOfficialPairs(path.join(root, 'pairsDevTest.txt'))).pairs;
  const key = (p: Pair['a']): string => `${p.person}/${p.file}`;
  const pixels = new Map<string, Float64Array>();
  const hists = new Map<string, Float64Array>();
  const greys = new Map<string, Float64Array>();
  const grey = options.grey ?? false;
  const identity = options.identity ?? true;
  const trainPeople = new Set<string>();
  for (const p of trainPairs) { trainPeople.add(p.a.person); trainPeople.add(p.b.person); }
  const load = async (ref: Pair['a']): Promise<void> => {
    const k = key(ref);
    if (pixels.has(k)) return;
    pixels.set(k, new Float64Array(0)); // claimed
    const file = path.join(root, ref.person, ref.file);
    const img = sharp(file);
    const { width = 0, height = 0 } = await img.metadata();
    const cw = Math.max(1, Math.round(width * crop)), ch = Math.max(1, Math.round(height * crop));
    const region = { left: Math.floor((width - cw) / 2), top: Math.floor((height - ch) / 2), width: cw, height: ch };
    const rgb = await sharp(file).extract(region).removeAlpha().resize(size, size, { fit: 'fill' }).raw().toBuffer();
    pixels.set(k, Float64Array.from(rgb, (v) => v / 255));
    hists.set(k, colourHistogram(rgb));
    if (grey) {
      const g = new Float64Array(size * size);
      for (let i = 0; i < g.length; i++) g[i] = (0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2]) / 255;
      greys.set(k, g);
    }
  };
  // Every image of the training people (for fitting), and every image in a pair.
  const refs = new Map<string, Pair['a']>();
  for (const p of [...trainPairs, ...testPairs]) for (const r of [p.a, p.b]) refs.set(key(r), r);
  for (const person of identity ? trainPeople : []) {
    for (const file of (await fs.readdir(path.join(root, person))).sort()) refs.set(`${person}/${file}`, { person, file });
  }
  const all = [...refs.values()];
  for (let i = 0; i < all.length; i += 8) await Promise.all(all.slice(i, i + 8).map(load));

  const distances = (pairs: readonly Pair[], feat: Map<string, ArrayLike<number>>, dist: (a: ArrayLike<number>, b: ArrayLike<number>) => number): { d: number[]; y: number[] } =>
    ({ d: pairs.map((p) => dist(feat.get(key(p.a)) as ArrayLike<number>, feat.get(key(p.b)) as ArrayLike<number>)), y: pairs.map((p) => p.isSame) });
  const raw = grey ? greys : pixels;
  const rawPixel = score(distances(trainPairs, raw, euclideanDistance), distances(testPairs, raw, euclideanDistance));

  const trainRefs = all.filter((r) => trainPeople.has(r.person));
  const labelOf = new Map([...trainPeople].map((p, i) => [p, i]));
  const labels = trainRefs.map((r) => labelOf.get(r.person) as number);
  const lda = (feat: Map<string, Float64Array>, pcaDims: number): BaselineScore => {
    const proj = fitPcaLda(trainRefs.map((r) => feat.get(key(r)) as Float64Array), labels, pcaDims, 40);
    const embedded = new Map<string, Float64Array>();
    for (const r of all) embedded.set(key(r), proj.project(feat.get(key(r)) as Float64Array));
    return score(distances(trainPairs, embedded, cosineDistance), distances(testPairs, embedded, cosineDistance));
  };
  return {
    trainPairs: trainPairs.length,
    testPairs: testPairs.length,
    size,
    crop,
    grey,
    rawPixel,
    pixelLda: identity ? lda(pixels, 80) : null,
    histogramLda: identity ? lda(hists, 48) : null,
    ms: performance.now() - t0,
  };
}
