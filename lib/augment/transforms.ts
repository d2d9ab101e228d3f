/**
 * The transforms, each a small config (typed JSON data) with a probability `p` and its own ranges, and
 * one sampler that draws a transform's random values from an `Rng` into {@link AugmentParams}.
 *
 * Geometric: `resizedCrop` (a random box of the image resized to fill it), `flip` (horizontal mirror),
 * `scale` (zoom about the centre), `rotate` (about the centre), `translate` (shift, as a fraction of the
 * size). Photometric: `brightness`, `contrast`, `saturation` (factors drawn from `[1 − amount, 1 + amount]`,
 * as torchvision's ColorJitter), `grayscale`, `noise` (Gaussian, fixed `std`).
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
import type { Rng } from '../util/rng';
import { TRANSFORM_KINDS, type AugmentParams, type TransformKind } from './params';

interface Base<K extends TransformKind> {
  readonly kind: K;
  /** Probability that the transform is applied (in a policy with `select: 'independent'`). */
  readonly p: number;
}

/** A random box covering `minArea..maxArea` of the image, aspect ratio `minAspect..maxAspect`, resized to fill it. */
export interface ResizedCropConfig extends Base<'resizedCrop'> {
  readonly minArea: number;
  readonly maxArea: number;
  readonly minAspect: number;
  readonly maxAspect: number;
}
/** Horizontal mirror. */
export type FlipConfig = Base<'flip'>;
/** Zoom about the centre by a factor drawn uniformly from `[min, max]`. */
export interface ScaleConfig extends Base<'scale'> {
  readonly min: number;
  readonly max: number;
}
/** Rotation by an angle drawn uniformly from `[-degrees, degrees]`. */
export interface RotateConfig extends Base<'rotate'> {
  readonly degrees: number;
}
/** Shift by up to `fraction` of the size, independently in x and y. */
export interface TranslateConfig extends Base<'translate'> {
  readonly fraction: number;
}
/** Multiply pixels by a factor from `[1 − amount, 1 + amount]`. */
export interface BrightnessConfig extends Base<'brightness'> {
  readonly amount: number;
}
/** Scale the distance from the image's mean grey by a factor from `[1 − amount, 1 + amount]`. */
export interface ContrastConfig extends Base<'contrast'> {
  readonly amount: number;
}
/** Scale each pixel's distance from its grey by a factor from `[1 − amount, 1 + amount]` (RGB only). */
export interface SaturationConfig extends Base<'saturation'> {
  readonly amount: number;
}
/** Replace colour by grey (RGB only). */
export type GrayscaleConfig = Base<'grayscale'>;
/** Add Gaussian noise with standard deviation `std` (pixels in [0, 1]). */
export interface NoiseConfig extends Base<'noise'> {
  readonly std: number;
}

/** Any transform's config. */
export type TransformConfig = ResizedCropConfig | FlipConfig | ScaleConfig | RotateConfig | TranslateConfig |
  BrightnessConfig | ContrastConfig | SaturationConfig | GrayscaleConfig | NoiseConfig;

/** A transform config with only `kind` required; the rest comes from {@link DEFAULT_TRANSFORMS}. */
export type TransformInput = { [K in TransformKind]: Partial<Extract<TransformConfig, { kind: K }>> & { readonly kind: K } }[TransformKind];

/** Each kind's defaults: moderate values suited to face crops. */
export const DEFAULT_TRANSFORMS: Readonly<{ [K in TransformKind]: Readonly<Extract<TransformConfig, { kind: K }>> }> = Object.freeze({
  resizedCrop: Object.freeze({ kind: 'resizedCrop', p: 0.5, minArea: 0.7, maxArea: 1, minAspect: 0.85, maxAspect: 1 / 0.85 }),
  flip: Object.freeze({ kind: 'flip', p: 0.5 }),
  scale: Object.freeze({ kind: 'scale', p: 0.5, min: 0.9, max: 1.1 }),
  rotate: Object.freeze({ kind: 'rotate', p: 0.5, degrees: 10 }),
  translate: Object.freeze({ kind: 'translate', p: 0.5, fraction: 0.04 }),
  brightness: Object.freeze({ kind: 'brightness', p: 0.5, amount: 0.2 }),
  contrast: Object.freeze({ kind: 'contrast', p: 0.5, amount: 0.2 }),
  saturation: Object.freeze({ kind: 'saturation', p: 0.5, amount: 0.3 }),
  grayscale: Object.freeze({ kind: 'grayscale', p: 0.1 }),
  noise: Object.freeze({ kind: 'noise', p: 0.2, std: 0.03 }),
});

function num(kind: string, name: string, v: unknown, lo: number, hi: number, openLo = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v > hi || (openLo ? v <= lo : v < lo)) {
    throw new RangeError(`augment ${kind}: ${name} must be a number in ${openLo ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Fills a transform config from its kind's defaults and checks every field; errors name the transform,
 * the field and the bad value. Unknown fields are an error (a typo would otherwise be silently ignored).
 */
export function resolveTransform(input: TransformInput): TransformConfig {
  if (!input || typeof input !== 'object' || !(TRANSFORM_KINDS as readonly string[]).includes(input.kind as string)) {
    throw new RangeError(`augment transform kind must be one of ${TRANSFORM_KINDS.join(', ')}, got ${JSON.stringify(input?.kind ?? input)}`);
  }
  const kind = input.kind;
  const def = DEFAULT_TRANSFORMS[kind] as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!Object.prototype.hasOwnProperty.call(def, key)) throw new RangeError(`augment ${kind}: unknown option ${JSON.stringify(key)} (known: ${Object.keys(def).join(', ')})`);
  }
  const c = { ...def, ...input } as Record<string, unknown>;
  const p = num(kind, 'p', c.p, 0, 1);
  switch (kind) {
    case 'resizedCrop': {
      const minArea = num(kind, 'minArea', c.minArea, 0, 1, true);
      const maxArea = num(kind, 'maxArea', c.maxArea, minArea, 1);
      const minAspect = num(kind, 'minAspect', c.minAspect, 0, 10, true);
      const maxAspect = num(kind, 'maxAspect', c.maxAspect, minAspect, 10);
      return { kind, p, minArea, maxArea, minAspect, maxAspect };
    }
    case 'flip':
    case 'grayscale':
      return { kind, p };
    case 'scale': {
      const min = num(kind, 'min', c.min, 0, 10, true);
      return { kind, p, min, max: num(kind, 'max', c.max, min, 10) };
    }
    case 'rotate':
      return { kind, p, degrees: num(kind, 'degrees', c.degrees, 0, 180) };
    case 'translate':
      return { kind, p, fraction: num(kind, 'fraction', c.fraction, 0, 1) };
    case 'brightness':
    case 'contrast':
    case 'saturation':
      return { kind, p, amount: num(kind, 'amount', c.amount, 0, 1) };
    case 'noise':
      return { kind, p, std: num(kind, 'std', c.std, 0, 1) };
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Draws `t`'s random values from `rng` and writes them into `params` (always applies `t`; whether to
 * apply it is the policy's decision). The number of draws depends only on the config, so a stream stays
 * reproducible.
 */
export function sampleTransform(t: TransformConfig, params: Mutable<AugmentParams>, rng: Rng): void {
  switch (t.kind) {
    case 'resizedCrop': {
      // Area and log-uniform aspect ratio, then clip the box to the image and place it uniformly.
      const area = rng.uniform(t.minArea, t.maxArea);
      const aspect = Math.exp(rng.uniform(Math.log(t.minAspect), Math.log(t.maxAspect)));
      const w = Math.min(1, Math.sqrt(area * aspect));
      const h = Math.min(1, Math.sqrt(area / aspect));
      const x = (1 - w) * rng.float();
      const y = (1 - h) * rng.float();
      params.crop = { x, y, w, h };
      break;
    }
    case 'flip':
      params.flip = true;
      break;
    case 'scale':
      params.scale = rng.uniform(t.min, t.max);
      break;
    case 'rotate':
      params.rotate = rng.uniform(-t.degrees, t.degrees);
      break;
    case 'translate':
      params.translateX = rng.uniform(-t.fraction, t.fraction);
      params.translateY = rng.uniform(-t.fraction, t.fraction);
      break;
    case 'brightness':
      params.brightness = rng.uniform(1 - t.amount, 1 + t.amount);
      break;
    case 'contrast':
      params.contrast = rng.uniform(1 - t.amount, 1 + t.amount);
      break;
    case 'saturation':
      params.saturation = rng.uniform(1 - t.amount, 1 + t.amount);
      break;
    case 'grayscale':
      params.grayscale = true;
      break;
    case 'noise':
      params.noiseStd = t.std;
      params.noiseSeed = rng.seed();
      break;
  }
}
