/**
 * The face crop stage: which part of each image the models see. LFW's faces sit roughly in the middle of
 * a 250x250 frame, so LFW gets a fixed centre crop by default; detector-based crops can be added as new
 * kinds later. A crop config is plain JSON data: it is part of the decode-cache key and is saved with every
 * model, so a model always sees images cropped the way it was trained.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */

/** No crop: the whole image. */
export interface NoCrop {
  readonly kind: 'none';
}

/** A centred square whose side is `fraction` of the shorter image side. */
export interface CenterCrop {
  readonly kind: 'center';
  readonly fraction: number;
}

/** A box given as fractions of the image width and height (0..1), e.g. from a face detector. */
export interface BoxCrop {
  readonly kind: 'box';
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Which part of an image to keep before resizing. JSON-serialisable. */
export type CropConfig = NoCrop | CenterCrop | BoxCrop;

/** The whole image. */
export const NO_CROP: Readonly<NoCrop> = Object.freeze({ kind: 'none' });

/**
 * LFW's default: the central 150x150 of a 250x250 image (fraction 0.6), which keeps the whole face and
 * drops most of the background and neighbouring faces.
 */
export const DEFAULT_LFW_CROP: Readonly<CenterCrop> = Object.freeze({ kind: 'center', fraction: 0.6 });

function fractionIn(name: string, v: unknown, lo: number, hi: number, openLo: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v > hi || (openLo ? v <= lo : v < lo)) {
    throw new RangeError(`crop ${name} must be a number in ${openLo ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Checks a crop config and returns a clean copy (unknown fields dropped). `undefined` means no crop.
 * Errors name the bad value.
 */
export function resolveCrop(crop: Partial<CropConfig> | undefined | null): CropConfig {
  if (crop === undefined || crop === null) return NO_CROP;
  switch (crop.kind) {
    case 'none':
      return NO_CROP;
    case 'center':
      return { kind: 'center', fraction: fractionIn('fraction', (crop as Partial<CenterCrop>).fraction, 0, 1, true) };
    case 'box': {
      const b = crop as Partial<BoxCrop>;
      const left = fractionIn('left', b.left, 0, 1, false);
      const top = fractionIn('top', b.top, 0, 1, false);
      const width = fractionIn('width', b.width, 0, 1, true);
      const height = fractionIn('height', b.height, 0, 1, true);
      if (left + width > 1 + 1e-9 || top + height > 1 + 1e-9) {
        throw new RangeError(`crop box ${JSON.stringify(crop)} reaches outside the image (left+width and top+height must be <= 1)`);
      }
      return { kind: 'box', left, top, width, height };
    }
    default:
      throw new RangeError(`crop kind must be "none", "center" or "box", got ${JSON.stringify((crop as { kind?: unknown }).kind)}`);
  }
}

/** A stable string for a crop config (field order fixed), used in cache keys. */
export function cropKey(crop: CropConfig): string {
  switch (crop.kind) {
    case 'none': return 'none';
    case 'center': return `center:${crop.fraction}`;
    case 'box': return `box:${crop.left},${crop.top},${crop.width},${crop.height}`;
  }
}

/** A pixel rectangle inside an image. */
export interface PixelBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** The pixel rectangle a crop keeps from a `width` x `height` image (at least 1x1, never outside). */
export function cropRegion(crop: CropConfig, width: number, height: number): PixelBox {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`cropRegion: image size must be positive integers, got ${width}x${height}`);
  }
  switch (crop.kind) {
    case 'none':
      return { left: 0, top: 0, width, height };
    case 'center': {
      const side = Math.max(1, Math.round(crop.fraction * Math.min(width, height)));
      return { left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), width: side, height: side };
    }
    case 'box': {
      const left = Math.min(width - 1, Math.round(crop.left * width));
      const top = Math.min(height - 1, Math.round(crop.top * height));
      const w = Math.max(1, Math.min(width - left, Math.round(crop.width * width)));
      const h = Math.max(1, Math.min(height - top, Math.round(crop.height * height)));
      return { left, top, width: w, height: h };
    }
  }
}
