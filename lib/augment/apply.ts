/**
 * Applies per-image {@link AugmentParams} to a batch as batched tensor ops, on any backend (wasm included):
 *
 * 1. geometry: one `tf.image.transform` call for the batch (one projective matrix per image, see
 *    {@link projectiveMatrix}; identity matrices give their images back exactly);
 * 2. colour: brightness, contrast, saturation and grayscale as broadcast multiply-adds with per-image
 *    `[n, 1, 1, 1]` factors, written `x·f + g·(1 − f)` so a factor of 1 returns `x` bit for bit (on wasm each stage is
 *    one kernel, and saturation computes each pixel's luma itself);
 * 3. noise: seeded Gaussian noise for the images that have it (`tf.randomNormal`'s values, drawn faster: noise.ts);
 * 4. a clip to [0, 1].
 *
 * Images are float32 `[n, h, w, c]` in [0, 1], c = 1 or 3. Stages no image needs are skipped.
 *
 * On the cpu backend the geometry runs one image at a time (its Transform kernel handles only the first
 * image of a batch; see `transformBatch`).
 *
 * Fill modes: `constant` (with `fillValue`), `nearest` (repeat the edge) and `wrap`. `reflect` is refused:
 * tfjs-backend-wasm 4.22's Transform kernel fills it like `wrap` clamped to the edge, unlike the cpu
 * backend, so the same config would give different pictures on different backends.
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { projectiveMatrix } from './matrix';
import { fillGaussian } from './noise';
import { fusedColourStage, type ColourStage } from '../backend/kernels';
import { isColourIdentity, isGeometricIdentity, type AugmentParams } from './params';

/** How pixels outside the image are filled when the geometry moves it. */
export type FillMode = 'constant' | 'nearest' | 'wrap';
/** Interpolation of the geometric transform. */
export type Interpolation = 'bilinear' | 'nearest';

/** Options of {@link applyAugment}. */
export interface ApplyOptions {
  readonly fillMode: FillMode;
  /** Fill value for `constant`, in [0, 1]. */
  readonly fillValue: number;
  readonly interpolation: Interpolation;
}

export const DEFAULT_APPLY: Readonly<ApplyOptions> = Object.freeze({ fillMode: 'nearest', fillValue: 0, interpolation: 'bilinear' });

/** ITU-R 601 luma weights (as torchvision's rgb_to_grayscale). */
const LUMA = [0.299, 0.587, 0.114];

function factors(values: number[]): tf.Tensor4D {
  return tf.tensor4d(values, [values.length, 1, 1, 1], 'float32');
}

/** Per-pixel luma `[n, h, w, 1]` of RGB images, as one matrix product (faster on wasm than multiply + sum). */
function grey(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w] = x.shape;
  return tf.reshape(tf.matMul(tf.reshape(x, [n * h * w, 3]), tf.tensor2d(LUMA, [3, 1], 'float32')), [n, h, w, 1]);
}

/** Each image's mean luma `[n, 1, 1, 1]` (the mean of the luma is the luma of the channel means). */
function meanGrey(x: tf.Tensor4D): tf.Tensor4D {
  const means = tf.mean(x, [1, 2], true);
  return x.shape[3] === 3 ? tf.sum(tf.mul(means, tf.tensor1d(LUMA, 'float32')), -1, true) as tf.Tensor4D : means as tf.Tensor4D;
}

/**
 * `tf.image.transform` with one matrix per image. tfjs-backend-cpu 4.22's Transform kernel returns after
 * the first image of a batch (the rest come back as the fill value), so on cpu each image is transformed
 * on its own; every other backend gets one call for the whole batch.
 */
function transformBatch(images: tf.Tensor4D, matrices: tf.Tensor2D, opts: ApplyOptions): tf.Tensor4D {
  const run = (x: tf.Tensor4D, m: tf.Tensor2D): tf.Tensor4D => tf.image.transform(x, m, opts.interpolation, opts.fillMode, opts.fillValue);
  if (tf.getBackend() !== 'cpu' || images.shape[0] === 1) return run(images, matrices);
  const n = images.shape[0];
  return tf.concat(Array.from({ length: n }, (_, i) => run(tf.slice(images, i, 1), tf.slice(matrices, i, 1))), 0);
}

/**
 * Each noisy image's noise (`tf.randomNormal([h, w, c], 0, std, 'float32', seed)`'s values, lib/augment/noise.ts), one
 * image after another, and each image's place among them (-1: none).
 */
function drawNoise(params: readonly AugmentParams[], per: number): { values: Float32Array; slots: Int32Array } {
  const slots = new Int32Array(params.length).fill(-1);
  let k = 0;
  params.forEach((p, i) => {
    if (p.noiseStd > 0) slots[i] = k++;
  });
  const values = new Float32Array(k * per);
  params.forEach((p, i) => {
    if (slots[i] >= 0) fillGaussian(values.subarray(slots[i] * per, (slots[i] + 1) * per), 0, p.noiseStd, p.noiseSeed);
  });
  return { values, slots };
}

/** A colour stage as tfjs ops (what the fused kernel computes in one pass; see src/kernels.c `colour_stage`). */
function opStage(x: tf.Tensor4D, stage: ColourStage): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (stage.mode === 'contrastLuma') {
    const contrasted = opStage(x, { mode: 'image', factors: stage.factors!.slice(0, n), aux: stage.aux, clampFirst: true, noise: null, clampLast: false });
    return opStage(contrasted, { ...stage, mode: 'luma', factors: stage.factors!.slice(n), aux: null });
  }
  let t: tf.Tensor4D = x;
  if (stage.mode !== 'none') {
    const f = factors([...stage.factors!]);
    t = tf.mul(x, f);
    const aux = stage.mode === 'luma' ? grey(x) : stage.aux;
    if (stage.mode !== 'scale') t = tf.add(t, tf.mul(aux!, tf.sub(1, f)));
  }
  if (stage.clampFirst) t = tf.clipByValue(t, 0, 1);
  if (stage.noise) {
    const per = h * w * c;
    const all = new Float32Array(n * per); // zeros for the images without noise
    stage.noise.slots.forEach((k, i) => {
      if (k >= 0) all.set(stage.noise!.values.subarray(k * per, (k + 1) * per), i * per);
    });
    t = tf.add(t, tf.tensor4d(all, [n, h, w, c], 'float32'));
  }
  if (stage.clampLast) t = tf.clipByValue(t, 0, 1);
  return t;
}

/**
 * Augments `images` (float32 `[n, h, w, c]` in [0, 1]) with one params object per image; returns a new
 * tensor of the same shape and dtype (the caller owns it; `images` is not disposed). Identity params give
 * that image back exactly.
 */
export function applyAugment(images: tf.Tensor4D, params: readonly AugmentParams[], options: Partial<ApplyOptions> = {}): tf.Tensor4D {
  const opts = { ...DEFAULT_APPLY, ...options };
  if (images.rank !== 4) throw new RangeError(`applyAugment needs a [n, h, w, c] batch, got shape [${images.shape.join(', ')}]`);
  const [n, h, w, c] = images.shape;
  if (params.length !== n) throw new RangeError(`applyAugment: ${params.length} params for a batch of ${n} images`);
  if (c !== 1 && c !== 3) throw new RangeError(`applyAugment: images must have 1 or 3 channels, got ${c}`);
  if (images.dtype !== 'float32') throw new RangeError(`applyAugment: images must be float32 in [0, 1], got ${images.dtype}`);
  if ((opts.fillMode as string) === 'reflect') {
    throw new RangeError('applyAugment: fillMode "reflect" is refused (tfjs-backend-wasm fills it wrongly); use "nearest", "constant" or "wrap"');
  }
  return tf.tidy(() => {
    let x: tf.Tensor4D = images;
    let changed = false;

    if (params.some((p) => !isGeometricIdentity(p))) {
      // Every image goes through the one call; identity matrices give an image back exactly (bilinear
      // sampling at integer coordinates), which is cheaper than gathering the moving ones out and back.
      const matrices = tf.tensor2d(params.map((p) => projectiveMatrix(p, h, w)), [n, 8], 'float32');
      x = transformBatch(x, matrices, opts);
      changed = true;
    }

    // Colour, then noise: each stage one kernel where the project's wasm kernels are active (the same bits as the ops
    // of `opStage`, in one pass instead of three to six), else tfjs ops.
    const colour = params.some((p) => !isColourIdentity(p));
    const noise = params.some((p) => p.noiseStd > 0) ? drawNoise(params, h * w * c) : null;
    let clamped = false;
    const run = (stage: ColourStage) => {
      x = fusedColourStage(x, stage) ?? opStage(x, stage);
      clamped = stage.clampFirst || stage.clampLast;
      changed = true;
    };
    if (colour && params.some((p) => p.brightness !== 1)) {
      run({ mode: 'scale', factors: params.map((p) => p.brightness), aux: null, clampFirst: true, noise: null, clampLast: false });
    }
    const contrast = colour && params.some((p) => p.contrast !== 1);
    const saturate = colour && c === 3 && params.some((p) => p.saturation !== 1 || p.grayscale);
    if (contrast && !saturate) {
      run({ mode: 'image', factors: params.map((p) => p.contrast), aux: meanGrey(x), clampFirst: true, noise: null, clampLast: false });
    }
    if (saturate) {
      // Grayscale after saturation is the grey of the original (saturation keeps luma, whose weights sum
      // to 1), so both are one blend toward grey with factor 0 (grayscale) or the saturation factor. After a
      // contrast stage, both go in one pass (`contrastLuma`: the contrast stage's values are never stored).
      const toward = params.map((p) => (p.grayscale ? 0 : p.saturation));
      run(contrast
        ? { mode: 'contrastLuma', factors: [...params.map((p) => p.contrast), ...toward], aux: meanGrey(x), clampFirst: true, noise, clampLast: noise !== null }
        : { mode: 'luma', factors: toward, aux: null, clampFirst: true, noise, clampLast: noise !== null });
    }
    if (noise && !saturate) run({ mode: 'none', factors: null, aux: null, clampFirst: false, noise, clampLast: true });

    // Interpolation and rounding can step a hair outside [0, 1]; in-range values pass unchanged (a clamped stage
    // already left every value in range).
    if (!changed) return tf.clone(x);
    return (clamped ? x : tf.clipByValue(x, 0, 1)) as tf.Tensor4D;
  });
}
