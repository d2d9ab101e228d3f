/**
 * Pixels to PNG with sharp: the bridge from tensors and typed arrays to images a notebook can show.
 *
 * @see notebooks/00-environment.ipynb
 */
import sharp from 'sharp';

export interface PixelImage {
  /** Row-major pixels, channels interleaved: 0-255 integers, or floats in [0, 1] when `float` is set. */
  readonly pixels: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
  /** 1 (gray), 3 (RGB) or 4 (RGBA). */
  readonly channels: 1 | 3 | 4;
}

/** Encodes pixels as PNG; floats are taken as [0, 1] and clamped. `scale` enlarges with nearest neighbour. */
export async function pixelsToPng(image: PixelImage, options: { float?: boolean; scale?: number } = {}): Promise<Buffer> {
  const { width, height, channels, pixels } = image;
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`pixelsToPng: ${pixels.length} values do not fill ${width}x${height}x${channels}`);
  }
  const bytes = new Uint8Array(pixels.length);
  const k = options.float ? 255 : 1;
  for (let i = 0; i < pixels.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(pixels[i] * k)));
  let img = sharp(bytes, { raw: { width, height, channels } });
  const scale = options.scale ?? 1;
  if (scale !== 1) img = img.resize(Math.round(width * scale), Math.round(height * scale), { kernel: 'nearest' });
  return img.png().toBuffer();
}
