/**
 * Applies per-image {@link AugmentParams} to a batch as batched tensor ops, on any backend (wasm included):
 *
 * 1. geometry: one `tf.image.transform` call for the batch (one projective matrix per image, see
 *    {@link projectiveMatrix}; identity matrices give their images back exactly);
 * 2. colour: brightness, contrast, saturation and grayscale as broadcast multiply-adds with per-image
 *    `[n, 1, 1, 1]` factors, written `x·f + g·(1 − f)` so a factor of 1 returns `x` bit for bit;
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

    const colour = params.some((p) => !isColourIdentity(p));
    if (colour) {
      if (params.some((p) => p.brightness !== 1)) {
        x = tf.mul(x, factors(params.map((p) => p.brightness)));
        x = tf.clipByValue(x, 0, 1);
      }
      if (params.some((p) => p.contrast !== 1)) {
        const f = factors(params.map((p) => p.contrast));
        const mean = meanGrey(x);
        x = tf.clipByValue(tf.add(tf.mul(x, f), tf.mul(mean, tf.sub(1, f))), 0, 1) as tf.Tensor4D;
      }
      if (c === 3 && params.some((p) => p.saturation !== 1 || p.grayscale)) {
        // Grayscale after saturation is the grey of the original (saturation keeps luma, whose weights sum
        // to 1), so both are one blend toward grey with factor 0 (grayscale) or the saturation factor.
        const f = factors(params.map((p) => (p.grayscale ? 0 : p.saturation)));
        x = tf.clipByValue(tf.add(tf.mul(x, f), tf.mul(grey(x), tf.sub(1, f))), 0, 1) as tf.Tensor4D;
      }
      changed = true;
    }

    if (params.some((p) => p.noiseStd > 0)) {
      // each noisy image's values are tf.randomNormal([h, w, c], 0, std, 'float32', seed)'s (lib/augment/noise.ts); zeros elsewhere
      const per = h * w * c;
      const noise = new Float32Array(n * per);
      params.forEach((p, i) => {
        if (p.noiseStd > 0) fillGaussian(noise.subarray(i * per, (i + 1) * per), 0, p.noiseStd, p.noiseSeed);
      });
      x = tf.add(x, tf.tensor4d(noise, [n, h, w, c], 'float32')) as tf.Tensor4D;
      changed = true;
    }

    // Interpolation and rounding can step a hair outside [0, 1]; in-range values pass unchanged.
    return (changed ? tf.clipByValue(x, 0, 1) : tf.clone(x)) as tf.Tensor4D;
  });
}
