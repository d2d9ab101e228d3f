/**
 * Image decoding: any supported file to 8-bit pixels at a requested size, channel count and crop.
 *
 * sharp decodes JPEG, PNG, WebP, TIFF, GIF (first frame) and AVIF; the project reads PGM/PPM/PBM itself
 * (sharp's prebuilt binaries do not) and refuses HEIC with a "convert it first" message. EXIF orientation is
 * applied before cropping, grey images are expanded to RGB (or RGB reduced to grey), alpha is flattened onto
 * white ({@link flattenAlpha}: the one rule for training, detection and verification; {@link transparencyOf}
 * measures how much was transparent, so a verdict can warn), CMYK and 16-bit images are converted to 8-bit
 * sRGB. Every failure is an {@link ImageDecodeError} naming the file and what is wrong; absurd headers
 * (sizes above {@link MAX_INPUT_PIXELS}) are refused before any pixel is allocated, and anything that is not
 * a regular file (a folder, a FIFO, a device, a link loop) is refused before it is read.
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

/** Refuse image files larger than this (1 GiB) before reading them. */
export const MAX_INPUT_BYTES = 1 << 30;

/** Transparent pixels are composited onto this colour, everywhere the project decodes an image. */
export const FLATTEN_BACKGROUND = '#ffffff';

/** A photo with more than this fraction of (partly) transparent pixels gets a warning with its verdict. */
export const TRANSPARENCY_WARNING_FRACTION = 0.01;

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

/** What a decoded file is and what it gave for every later step: an upright image, ready to crop and resize. */
export interface OpenedImage {
  readonly format: ImageFormat;
  /** A sharp pipeline of the upright (EXIF-oriented) image, first frame only. */
  readonly input: Sharp;
  /** Size of the upright image. */
  readonly width: number;
  readonly height: number;
  /** Whether the image has an alpha channel (then {@link transparencyOf} says how much of it is used). */
  readonly hasAlpha: boolean;
}

/** How much of an image is transparent: the fraction of pixels with alpha below 255, and the mean opacity (0..1). */
export interface Transparency {
  readonly fraction: number;
  readonly meanOpacity: number;
}

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links (a link loop?)',
  ENOTDIR: 'a part of the path is not a folder',
  ENAMETOOLONG: 'the path is too long',
  EIO: 'input/output error (a failing disk or network share?)',
};

/**
 * Reads an image file: a regular file (links followed) of 1 byte to {@link MAX_INPUT_BYTES}. Folders,
 * FIFOs, devices, link loops and unreadable files are {@link ImageDecodeError}s naming the file, raised
 * before anything is read (a FIFO or `/dev/zero` would otherwise block or fill memory).
 */
export async function readImageFile(file: string): Promise<Buffer> {
  const failed = (err: unknown): ImageDecodeError => {
    const code = (err as NodeJS.ErrnoException).code;
    return new ImageDecodeError(file, `cannot read the file (${code ?? String(err)})${code && READ_ERRORS[code] ? `: ${READ_ERRORS[code]}` : ''}`);
  };
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (err) {
    throw failed(err);
  }
  if (stat.isDirectory()) throw new ImageDecodeError(file, 'is a folder, not an image file');
  if (!stat.isFile()) throw new ImageDecodeError(file, 'is not a regular file (a FIFO, socket or device); give an image file');
  if (stat.size === 0) throw new ImageDecodeError(file, 'file is empty (0 bytes)');
  if (stat.size > MAX_INPUT_BYTES) {
    throw new ImageDecodeError(file, `file is ${stat.size.toLocaleString('en-US')} bytes, more than the limit of ${MAX_INPUT_BYTES.toLocaleString('en-US')} for one image`);
  }
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw failed(err);
  }
}

function explainSharpError(raw: string, maxPixels: number): string {
  const message = [...new Set(raw.split('\n').map((l) => l.trim()).filter(Boolean))].join('; ');
  if (/pixel limit/i.test(message)) return `image has more than ${maxPixels.toLocaleString('en-US')} pixels (a decompression bomb?); sharp refused it: ${message}`;
  if (/premature end|truncated|unexpected end|end of (file|stream)|not enough data/i.test(message)) return `file is truncated or incomplete (${message})`;
  return `corrupt or unsupported image data (${message})`;
}

/** An error from any decoding step as an {@link ImageDecodeError} naming `file`. */
export function decodeFailure(err: unknown, file: string, maxPixels = MAX_INPUT_PIXELS): ImageDecodeError {
  if (err instanceof ImageDecodeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message.startsWith(`${file}: `)) return new ImageDecodeError(file, message.slice(file.length + 2));
  return new ImageDecodeError(file, explainSharpError(message, maxPixels));
}

/**
 * Opens the image bytes `buf` (from `file`, named in errors): recognises the format from the bytes (not the
 * name), refuses HEIC and non-images, reads Netpbm with the project's reader and everything else with sharp
 * (first frame, EXIF orientation applied, at most `maxPixels`: checked from the header, before decoding).
 * `failOn` is sharp's: `'warning'` also refuses slightly damaged files.
 */
export async function openImage(buf: Uint8Array, file: string, maxPixels = MAX_INPUT_PIXELS, failOn: 'warning' | 'error' = 'warning'): Promise<OpenedImage> {
  if (buf.length === 0) throw new ImageDecodeError(file, 'file is empty (0 bytes)');
  const format = sniffFormat(buf);
  if (format === 'heic') {
    throw new ImageDecodeError(file, 'HEIC/HEIF photos are not supported by the bundled decoder; convert it first, e.g. `heif-convert in.heic out.jpg` or export as JPEG from your photo app');
  }
  if (format === 'unknown') throw new ImageDecodeError(file, describeUnknown(buf));
  try {
    if (format === 'pnm') {
      const pnm = readPnm(buf, file, maxPixels);
      return { format, input: sharp(pnm.data, { raw: { width: pnm.width, height: pnm.height, channels: pnm.channels } }), width: pnm.width, height: pnm.height, hasAlpha: false };
    }
    const sharpOpts: SharpOptions = { limitInputPixels: maxPixels, failOn, pages: 1, autoOrient: true };
    const meta = await sharp(buf, sharpOpts).metadata();
    const width = meta.autoOrient?.width ?? meta.width ?? 0;
    const height = meta.autoOrient?.height ?? meta.height ?? 0;
    if (!width || !height) throw new Error('image has no size');
    return { format, input: sharp(buf, sharpOpts), width, height, hasAlpha: meta.hasAlpha ?? false };
  } catch (err) {
    throw decodeFailure(err, file, maxPixels);
  }
}

/** Composites transparent pixels onto {@link FLATTEN_BACKGROUND}: the one flattening rule of every decoder. */
export function flattenAlpha(pipe: Sharp): Sharp {
  return pipe.flatten({ background: FLATTEN_BACKGROUND });
}

/**
 * How transparent the pixels of `pipe` are (after its crop and resize, before {@link flattenAlpha}): what
 * the model would see flattened. Decodes a second time, so call it only for images with alpha.
 */
export async function transparencyOf(pipe: Sharp): Promise<Transparency> {
  const { data, info } = await pipe.clone().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 2 && info.channels !== 4) return { fraction: 0, meanOpacity: 1 };
  let transparent = 0;
  let sum = 0;
  const n = info.width * info.height;
  for (let i = info.channels - 1; i < data.length; i += info.channels) {
    if (data[i] < 255) transparent++;
    sum += data[i];
  }
  return { fraction: transparent / n, meanOpacity: sum / (255 * n) };
}

/**
 * The warning for a photo that was more than {@link TRANSPARENCY_WARNING_FRACTION} transparent, naming the
 * file and the step the flattened image went to (e.g. "detection"); `undefined` when it was (nearly) opaque.
 */
export function transparencyWarning(file: string, t: Transparency | undefined, before: string): string | undefined {
  if (!t || t.fraction <= TRANSPARENCY_WARNING_FRACTION) return undefined;
  const pct = (v: number): string => (v > 0.995 && v < 1 ? '99' : v < 0.01 && v > 0 ? '<1' : (100 * v).toFixed(0));
  return `${file}: ${pct(t.fraction)} % of the pixels are transparent (mean opacity ${pct(t.meanOpacity)} %); flattened onto white before ${before} — the verdict may be unreliable`;
}

/**
 * Decodes the image bytes `buf` (from `file`, named in errors) to `opts.size` x `opts.size` pixels.
 * The crop region is computed on the EXIF-oriented image; the result is resized to cover the square.
 */
export async function decodeImageBuffer(buf: Uint8Array, file: string, options: Partial<LoadOptions> = {},
  maxPixels = MAX_INPUT_PIXELS): Promise<DecodedImage> {
  const opts = resolveLoadOptions(options);
  const { input, width, height } = await openImage(buf, file, maxPixels);
  try {
    const box = cropRegion(opts.crop, width, height);
    let pipe = input;
    if (box.left !== 0 || box.top !== 0 || box.width !== width || box.height !== height) pipe = pipe.extract(box);
    pipe = flattenAlpha(pipe.resize(opts.size, opts.size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' }));
    pipe = opts.channels === 1 ? pipe.toColourspace('b-w') : pipe.toColourspace('srgb');
    const { data, info } = await pipe.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== opts.channels || info.width !== opts.size || info.height !== opts.size) {
      throw new Error(`decoder produced ${info.width}x${info.height}x${info.channels}, expected ${opts.size}x${opts.size}x${opts.channels}`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: opts.channels };
  } catch (err) {
    throw decodeFailure(err, file, maxPixels);
  }
}

/** Reads and decodes one image file. See {@link decodeImageBuffer}. */
export async function decodeImage(file: string, options: Partial<LoadOptions> = {}, maxPixels = MAX_INPUT_PIXELS): Promise<DecodedImage> {
  return decodeImageBuffer(await readImageFile(file), file, options, maxPixels);
}
