/**
 * What augmentation does to one image, as plain numbers: sampling (rng → params) is separate from
 * applying (params → tensor ops), so a batch's augmentation can be computed on one thread and applied on
 * another, saved as JSON, shown in a preview label, or checked in a test.
 *
 * Geometric parameters are fractions of the image size, never pixels, so the same params mean the same
 * thing at 112, 128 or 224 px.
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */

/** The transform kinds the project knows, in the order they are applied within their stage. */
export const TRANSFORM_KINDS = [
  'resizedCrop', 'flip', 'scale', 'rotate', 'translate',
  'brightness', 'contrast', 'saturation', 'grayscale', 'noise',
] as const;

/** One transform kind. */
export type TransformKind = (typeof TRANSFORM_KINDS)[number];

/** A crop box as fractions of the image (0..1): left, top, width, height. */
export interface CropBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** The augmentation of one image. {@link IDENTITY_PARAMS} leaves it untouched. */
export interface AugmentParams {
  /** The transforms this image got, in application order (empty: untouched). For labels and stats. */
  readonly applied: readonly TransformKind[];
  /** The part of the image that is resized to fill the output (random resized crop). */
  readonly crop: CropBox;
  /** Horizontal mirror. */
  readonly flip: boolean;
  /** Zoom factor about the centre (> 1 enlarges the face). */
  readonly scale: number;
  /** Rotation in degrees about the centre, counter-clockwise on screen. */
  readonly rotate: number;
  /** Shift right, as a fraction of the width. */
  readonly translateX: number;
  /** Shift down, as a fraction of the height. */
  readonly translateY: number;
  /** Brightness factor (pixels are multiplied by it). */
  readonly brightness: number;
  /** Contrast factor (distance from the image's mean grey is multiplied by it). */
  readonly contrast: number;
  /** Saturation factor (distance from each pixel's grey is multiplied by it); RGB only. */
  readonly saturation: number;
  /** Replace colour by its grey value (ITU-R 601 luma); RGB only. */
  readonly grayscale: boolean;
  /** Standard deviation of added Gaussian noise, in [0, 1] pixel units (0: none). */
  readonly noiseStd: number;
  /** Seed of the noise pattern (used only when `noiseStd > 0`). */
  readonly noiseSeed: number;
}

/** The full image, as a crop box. */
export const FULL_CROP: Readonly<CropBox> = Object.freeze({ x: 0, y: 0, w: 1, h: 1 });

/** Parameters that leave an image exactly as it is. */
export const IDENTITY_PARAMS: Readonly<AugmentParams> = Object.freeze({
  applied: [],
  crop: FULL_CROP,
  flip: false,
  scale: 1,
  rotate: 0,
  translateX: 0,
  translateY: 0,
  brightness: 1,
  contrast: 1,
  saturation: 1,
  grayscale: false,
  noiseStd: 0,
  noiseSeed: 0,
});

/** Whether the params move pixels (any of crop, flip, scale, rotate, translate is not the identity). */
export function isGeometricIdentity(p: AugmentParams): boolean {
  return !p.flip && p.scale === 1 && p.rotate === 0 && p.translateX === 0 && p.translateY === 0 &&
    p.crop.x === 0 && p.crop.y === 0 && p.crop.w === 1 && p.crop.h === 1;
}

/** Whether the params change colours (brightness, contrast, saturation, grayscale). */
export function isColourIdentity(p: AugmentParams): boolean {
  return p.brightness === 1 && p.contrast === 1 && p.saturation === 1 && !p.grayscale;
}

/** Whether the params leave the image exactly as it is. */
export function isIdentity(p: AugmentParams): boolean {
  return isGeometricIdentity(p) && isColourIdentity(p) && p.noiseStd === 0;
}

/** A short label, e.g. `rot -12°, flip, ×1.14` (or `original`), for preview grids. */
export function describeParams(p: AugmentParams): string {
  const parts: string[] = [];
  const r = (v: number, d = 2): string => {
    const t = v.toFixed(d);
    const s = t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t;
    return s === '-0' ? '0' : s;
  };
  if (p.crop.w !== 1 || p.crop.h !== 1 || p.crop.x !== 0 || p.crop.y !== 0) parts.push(`crop ${r(p.crop.w * p.crop.h)}`);
  if (p.flip) parts.push('flip');
  if (p.scale !== 1) parts.push(`×${r(p.scale)}`);
  if (p.rotate !== 0) parts.push(`rot ${r(p.rotate, 0)}°`);
  if (p.translateX !== 0 || p.translateY !== 0) parts.push(`shift ${r(p.translateX * 100, 0)},${r(p.translateY * 100, 0)}%`);
  if (p.brightness !== 1) parts.push(`bri ${r(p.brightness)}`);
  if (p.contrast !== 1) parts.push(`con ${r(p.contrast)}`);
  if (p.saturation !== 1) parts.push(`sat ${r(p.saturation)}`);
  if (p.grayscale) parts.push('grey');
  if (p.noiseStd > 0) parts.push(`noise ${r(p.noiseStd, 3)}`);
  return parts.length ? parts.join(', ') : 'original';
}
