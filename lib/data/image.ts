/**
 * Image decoding: any supported file to 8-bit pixels at a requested size, channel count and crop.
 *
 * sharp decodes JPEG, PNG, WebP, TIFF, GIF (first frame) and AVIF; the project reads PGM/PPM/PBM itself
 * (sharp's prebuilt binaries do not) and refuses HEIC with a "convert it first" message. EXIF orientation is
 * applied before cropping, grey images are expanded to RGB (or RGB reduced to grey), alpha is flattened onto
 * white, CMYK and 16-bit images are converted to 8-bit sRGB. Every failure is an {@link ImageDecodeError}
 * naming the file and what is wrong.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import * as fs from 'node:fs/promises';
import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { NO_CROP, cropKey, cropRegion, resolveCrop, type CropConfig } from './crop';
import { isPnm, readPnm } from './pnm';
import type { Channels, DecodedImage } from './types';

/** How to decode an image. JSON-serialisable; part of the decode-cache key. */
export interface LoadOptions {
  /** Output side in pixels (images come out square: cropped, then resized to cover `size` x `size`). */
  readonly size: number;
  /** 1 = grey, 3 = RGB. */
  readonly channels: Channels;
  /** Which part of the image to keep before resizing. */
  readonly crop: CropConfig;
}

/** 64x64 RGB, whole image. */
export const DEFAULT_LOAD: Readonly<LoadOptions> = Object.freeze({ size: 64, channels: 3 as Channels, crop: NO_CROP });

/** Refuse images with more pixels than this (a decompression bomb guard; 100 megapixels). */
export const MAX_INPUT_PIXELS = 100_000_000;

/** Bumped whenever decoding changes, so old cache entries are never reused. */
export const DECODER_VERSION = 'decode-v1';

/** Checks load options, filling defaults; errors name the bad value. */
export function resolveLoadOptions(partial: Partial<LoadOptions> = {}): LoadOptions {
  const size = partial.size ?? DEFAULT_LOAD.size;
  if (!Number.isInteger(size) || size < 1 || size > 4096) throw new RangeError(`load size must be an integer in [1, 4096], got ${JSON.stringify(size)}`);
  const channels = partial.channels ?? DEFAULT_LOAD.channels;
  if (channels !== 1 && channels !== 3) throw new RangeError(`load channels must be 1 or 3, got ${JSON.stringify(channels)}`);
  return { size, channels, crop: resolveCrop(partial.crop ?? DEFAULT_LOAD.crop) };
}

/** A stable string for load options, used in cache keys. */
export function loadOptionsKey(opts: LoadOptions): string {
  return `${DECODER_VERSION}|size=${opts.size}|ch=${opts.channels}|crop=${cropKey(opts.crop)}`;
}

/** An image that could not be decoded; `file` says which, the message says why. */
export class ImageDecodeError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`cannot decode ${file}: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

/** The container formats the project recognises from a file's first bytes. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'pnm' | 'heic' | 'avif' | 'unknown';

/** Recognises an image format from its first bytes (not its name). */
export function sniffFormat(buf: Uint8Array): ImageFormat {
  const at = (i: number, s: string): boolean => buf.length >= i + s.length && [...s].every((c, k) => buf[i + k] === c.charCodeAt(0));
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 8 && buf[0] === 0x89 && at(1, 'PNG')) return 'png';
  if (at(0, 'GIF8')) return 'gif';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (at(0, 'II*\0') || at(0, 'MM\0*')) return 'tiff';
  if (isPnm(buf)) return 'pnm';
  if (at(4, 'ftyp')) {
    const brand = Buffer.from(buf.subarray(8, 12)).toString('latin1');
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1'].includes(brand)) return 'heic';
  }
  return 'unknown';
}

function describeUnknown(buf: Uint8Array): string {
  const head = buf.subarray(0, 16);
  const printable = [...head].every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127));
  if (printable) return `not an image: it starts with text ${JSON.stringify(Buffer.from(head).toString('latin1'))}`;
  return `not a recognised image format (first bytes ${Buffer.from(buf.subarray(0, 8)).toString('hex')}); supported: JPEG, PNG, WebP, TIFF, GIF, AVIF, PGM/PPM/PBM`;
}

function explainSharpError(raw: string, maxPixels: number): string {
  const message = [...new Set(raw.split('\n').map((l) => l.trim()).filter(Boolean))].join('; ');
  if (/pixel limit/i.test(message)) return `image has more than ${maxPixels.toLocaleString('en-US')} pixels (a decompression bomb?); sharp refused it: ${message}`;
  if (/premature end|truncated|unexpected end|end of (file|stream)|not enough data/i.test(message)) return `file is truncated or incomplete (${message})`;
  return `corrupt or unsupported image data (${message})`;
}

/**
 * Decodes the image bytes `buf` (from `file`, named in errors) to `opts.size` x `opts.size` pixels.
 * The crop region is computed on the EXIF-oriented image; the result is resized to cover the square.
 */
export async function decodeImageBuffer(buf: Uint8Array, file: string, options: Partial<LoadOptions> = {},
  maxPixels = MAX_INPUT_PIXELS): Promise<DecodedImage> {
  const opts = resolveLoadOptions(options);
  if (buf.length === 0) throw new ImageDecodeError(file, 'file is empty (0 bytes)');
  const format = sniffFormat(buf);
  if (format === 'heic') {
    throw new ImageDecodeError(file, 'HEIC/HEIF photos are not supported by the bundled decoder; convert it first, e.g. `heif-convert in.heic out.jpg` or export as JPEG from your photo app');
  }
  if (format === 'unknown') throw new ImageDecodeError(file, describeUnknown(buf));
  try {
    let input: Sharp;
    let width: number;
    let height: number;
    if (format === 'pnm') {
      const pnm = readPnm(buf, file);
      if (pnm.width * pnm.height > maxPixels) throw new Error(`Input image exceeds pixel limit (${pnm.width}x${pnm.height})`);
      input = sharp(pnm.data, { raw: { width: pnm.width, height: pnm.height, channels: pnm.channels } });
      width = pnm.width;
      height = pnm.height;
    } else {
      const sharpOpts: SharpOptions = { limitInputPixels: maxPixels, failOn: 'warning', pages: 1, autoOrient: true };
      const meta = await sharp(buf, sharpOpts).metadata();
      width = meta.autoOrient?.width ?? meta.width ?? 0;
      height = meta.autoOrient?.height ?? meta.height ?? 0;
      if (!width || !height) throw new Error('image has no size');
      input = sharp(buf, sharpOpts);
    }
    const box = cropRegion(opts.crop, width, height);
    let pipe = input;
    if (box.left !== 0 || box.top !== 0 || box.width !== width || box.height !== height) pipe = pipe.extract(box);
    pipe = pipe.resize(opts.size, opts.size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
      .flatten({ background: '#ffffff' });
    pipe = opts.channels === 1 ? pipe.toColourspace('b-w') : pipe.toColourspace('srgb');
    const { data, info } = await pipe.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== opts.channels || info.width !== opts.size || info.height !== opts.size) {
      throw new Error(`decoder produced ${info.width}x${info.height}x${info.channels}, expected ${opts.size}x${opts.size}x${opts.channels}`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: opts.channels };
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (message.startsWith(`${file}: `)) throw new ImageDecodeError(file, message.slice(file.length + 2));
    throw new ImageDecodeError(file, explainSharpError(message, maxPixels));
  }
}

/** Reads and decodes one image file. See {@link decodeImageBuffer}. */
export async function decodeImage(file: string, options: Partial<LoadOptions> = {}, maxPixels = MAX_INPUT_PIXELS): Promise<DecodedImage> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (err) {
    throw new ImageDecodeError(file, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return decodeImageBuffer(buf, file, options, maxPixels);
}

/** Encodes a decoded image as PNG (for grids and previews). */
export async function encodePng(img: DecodedImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } }).png().toBuffer();
}
