/**
 * Finding, aligning and cropping faces in ordinary photos, for personal images and for `siamese verify`.
 *
 * Photos are decoded at their own aspect ratio with EXIF orientation applied (a phone's portrait photo comes
 * out upright) and scaled so the longer side is at most `maxSide`, by the same opener as the training
 * decoder (`openImage`: every format it reads, PGM/PPM included, the same pixel limit checked from the header,
 * transparency flattened by the same `flattenAlpha`, and measured so verdicts can warn). Faces are found by one of face-api's
 * detectors (SSD MobileNet v1, or the faster Tiny Face Detector) and each face's 68 landmarks are located.
 * The crop the recognition network sees is made in prepare-face.ts: dlib's face chip by default (chip.ts), or
 * `cropFace` here: the landmark-aligned box face-api computes (`landmarks.align()`), widened to a square around
 * its centre and resized to the network's input size (`rotate: true` also levels the eyes).
 *
 * This lives in `faces/`, not `data/`: it runs neural networks (face-api's), and `data/` must not depend on
 * models. The decoded photo and the crops are plain {@link DecodedImage}s, so `viz` can show them.
 *
 * @see notebooks/07-personal-images.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { MAX_INPUT_PIXELS, decodeFailure, flattenAlpha, openImage, readImageFile, transparencyOf, type Transparency } from '../data/image';
import type { PixelBox } from '../data/crop';
import type { DecodedImage } from '../data/types';
import { loadFaceApi, type FaceApiResult, type LoadFaceApiOptions, type Point2 } from './face-api';

/** How to find faces. JSON-serialisable. */
export interface DetectConfig {
  /** `'ssd'` (SSD MobileNet v1: slower, finds smaller and turned faces) or `'tiny'` (Tiny Face Detector). */
  readonly detector: 'ssd' | 'tiny';
  /** Minimum detector confidence (0..1). */
  readonly minScore: number;
  /** Tiny detector input size (a multiple of 32; larger finds smaller faces, slower). */
  readonly tinyInputSize: number;
  /** Photos are scaled so their longer side is at most this before detection. */
  readonly maxSide: number;
  /** Faces whose box is smaller than this (pixels, shorter side, in the scaled photo) are ignored. */
  readonly minFaceSize: number;
  /** Which face a photo stands for when it has several: the largest, or the one nearest the centre (LFW). */
  readonly choose: 'largest' | 'central';
  /** Turn each face so the eyes are level before cropping. */
  readonly rotate: boolean;
  /**
   * The tiny detector's input grows with the photo, from `tinyInputSize` up to this (a multiple of 32): about
   * 0.64 of the photo's longer side, so a group photo is not shrunk until faces blur into each other (at 320
   * px an 800 px photo of 3 people gave 5 faces; at 512 px, 3). Equal to `tinyInputSize`: a fixed input.
   */
  readonly tinyInputMax: number;
  /**
   * When the first pass finds nothing, the photo is padded by each of these fractions of its longer side on
   * every side in turn (a tight face crop has no margin, and detectors learnt faces with one) and searched
   * again; empty: never.
   */
  readonly pads: readonly number[];
  /**
   * How the border is filled: the mirrored photo (default) or the photo's mean colour. A mirrored border holds
   * mirror copies of the face, which the detector can score above the face itself on a tight crop (or find
   * only them): a mirrored pass that finds faces but none centred on the photo is retried with the mean-colour
   * border, which has none. Mean-colour padding alone was tried as the default and dropped: it missed real
   * tight LFW crops the mirror finds (1 of 150 in bench/face-check.ts, one in test/faces/face-check.test.ts),
   * and the detector fired on a generated text image in it (the mirror's axes in turn make a symmetric
   * "face" of one smooth grey noise image; both pass the landmark fit).
   */
  readonly padMode: 'mirror' | 'mean';
  /**
   * In a padded photo a face counts only when at least this fraction of its box lies on the photo itself (and
   * its centre does). Where the mirror axes of a padded border cross, near a corner of the photo, they make a
   * symmetric picture that the detector can take for a face: on two generated smooth grey noise images it found
   * "faces" with 29 % and 33 % of their box on the photo (one passed the landmark fit). A face that fills a tight
   * crop keeps most of its box on it: 44 % at least over 850 tight LFW crops (bench/face-check.ts's generator,
   * 2026-12-03), above 52 % for all but four. What it costs: a face found only as its own mirror copy across the
   * border no longer counts (a 64 px faded grey face box, found by the contrast-equalised padded pass with 28 % of
   * its box on the photo, test/faces/face-check.test.ts; `equalize` is off for verify, and the LFW trunk cache,
   * which turns it on, keeps this at 0). 0: the centre alone decides (as before).
   */
  readonly minOnPhoto: number;
  /** Photos whose shorter side is below this many pixels are upscaled to it (Lanczos) before detection. */
  readonly upscaleTo: number;
  /** With the tiny detector: when it finds nothing (plain or padded), try SSD MobileNet v1 (plain, then padded). */
  readonly ssdFallback: boolean;
  /** SSD's minimum confidence (its scores sit higher than the tiny detector's). */
  readonly ssdMinScore: number;
  /**
   * Run SSD on the unpadded photo even when the tiny detector's input already shows the whole photo at its own
   * size or larger (photos up to 320 px). Off by default: there SSD's 512-px input only enlarges what the tiny
   * detector saw, and its padded passes still run. On 13,233 LFW originals and 13,233 tight crops (all at most
   * 250 px) that pass was the first to find 0 and 1 faces, and the padded SSD pass finds that one too; skipping
   * it saves about 220 ms on a small photo without a face. On for the LFW trunk cache, which was filled with it.
   */
  readonly ssdWhenCovered: boolean;
  /**
   * When every pass above found nothing, the configured detector tries again on a contrast-equalised copy of the
   * photo (CLAHE: each region's histogram spread), plain and padded: grey, faded and backlit faces the detectors
   * miss otherwise (16 of the 23 tight LFW crops, 21 of them grey, that the passes above missed among 7,701). The
   * landmarks and the crop still come from the photo itself. Off by default: on generated non-faces it made one
   * text image a "face" that passes the face check (bench/face-check.ts: text 19/20 right instead of 20/20), and a
   * non-face must never get a verdict. On for the LFW trunk cache (trunk-cache.ts), where every photo holds a face.
   */
  readonly equalize: boolean;
  /**
   * When every pass above found nothing, they all run once more with both detectors' minimum scores lowered to
   * this, the photo padded by each of `rescuePads` (0: never). For photos known to hold a face, where a fixed
   * crop is the only other answer: on the LFW trunk cache (trunk-cache.ts) at 0.15 it found the face in 10 of the
   * 10 tight LFW crops (of 13,233, 48-128 px, grey faces cut at the forehead or chin) that every other pass
   * missed. Off by default: a lowered score fires more easily on things that are not faces.
   */
  readonly rescueScore: number;
  /** The paddings the rescue passes search (fractions of the photo's longer side, in (0, 2]). */
  readonly rescuePads: readonly number[];
}

export const DEFAULT_DETECT: Readonly<DetectConfig> = Object.freeze({
  detector: 'tiny', minScore: 0.5, tinyInputSize: 320, maxSide: 800, minFaceSize: 24, choose: 'largest', rotate: false,
  tinyInputMax: 512, pads: Object.freeze([0.6, 1]), padMode: 'mirror', minOnPhoto: 0.4, upscaleTo: 160, ssdFallback: true, ssdMinScore: 0.5,
  ssdWhenCovered: false, equalize: false, rescueScore: 0, rescuePads: Object.freeze([0.6, 1, 1.5]),
});

/** A pass of the cascade at the detectors' own minimum scores: the detector, `+eq`, `+pad`. */
type ScoredPass = 'tiny' | 'tiny+pad' | 'ssd' | 'ssd+pad' | 'tiny+eq' | 'tiny+eq+pad' | 'ssd+eq' | 'ssd+eq+pad';

/**
 * Which pass of the detection cascade found a face: the detector, `+eq` when only its contrast-equalised copy
 * showed it, `+pad` when the photo had to be padded, and `+low` when only the rescue passes' lowered minimum
 * score let it through (`rescueScore`).
 */
export type FoundBy = ScoredPass | `${ScoredPass}+low`;

const SCORED_PASSES: readonly ScoredPass[] = ['tiny', 'tiny+pad', 'ssd', 'ssd+pad', 'tiny+eq', 'tiny+eq+pad', 'ssd+eq', 'ssd+eq+pad'];

/** Every {@link FoundBy}, in cascade order. */
export const FOUND_BY: readonly FoundBy[] = Object.freeze([...SCORED_PASSES, ...SCORED_PASSES.map((p): FoundBy => `${p}+low`)]);

/** Checks a detect config, filling defaults; errors name the bad value. */
export function resolveDetect(partial: Partial<DetectConfig> = {}): DetectConfig {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<DetectConfig>;
  const c = { ...DEFAULT_DETECT, ...given };
  if (c.detector !== 'ssd' && c.detector !== 'tiny') throw new RangeError(`detector must be "ssd" or "tiny", got ${JSON.stringify(c.detector)}`);
  if (typeof c.minScore !== 'number' || !(c.minScore >= 0 && c.minScore <= 1)) throw new RangeError(`detect minScore must be in [0, 1], got ${JSON.stringify(c.minScore)}`);
  if (!Number.isInteger(c.tinyInputSize) || c.tinyInputSize < 128 || c.tinyInputSize % 32 !== 0) throw new RangeError(`detect tinyInputSize must be a multiple of 32, at least 128, got ${JSON.stringify(c.tinyInputSize)}`);
  if (!Number.isInteger(c.maxSide) || c.maxSide < 64) throw new RangeError(`detect maxSide must be an integer >= 64, got ${JSON.stringify(c.maxSide)}`);
  if (typeof c.minFaceSize !== 'number' || !(c.minFaceSize >= 0)) throw new RangeError(`detect minFaceSize must be a number >= 0, got ${JSON.stringify(c.minFaceSize)}`);
  if (c.choose !== 'largest' && c.choose !== 'central') throw new RangeError(`detect choose must be "largest" or "central", got ${JSON.stringify(c.choose)}`);
  if (typeof c.rotate !== 'boolean') throw new RangeError(`detect rotate must be true or false, got ${JSON.stringify(c.rotate)}`);
  if (!Number.isInteger(c.tinyInputMax) || c.tinyInputMax % 32 !== 0 || c.tinyInputMax < c.tinyInputSize) throw new RangeError(`detect tinyInputMax must be a multiple of 32, at least tinyInputSize (${c.tinyInputSize}), got ${JSON.stringify(c.tinyInputMax)}`);
  if (!Array.isArray(c.pads) || !c.pads.every((p) => typeof p === 'number' && p > 0 && p <= 2)) throw new RangeError(`detect pads must be a list of fractions of the photo's longer side in (0, 2], got ${JSON.stringify(c.pads)}`);
  if (c.padMode !== 'mirror' && c.padMode !== 'mean') throw new RangeError(`detect padMode must be "mirror" or "mean", got ${JSON.stringify(c.padMode)}`);
  if (typeof c.minOnPhoto !== 'number' || !(c.minOnPhoto >= 0 && c.minOnPhoto <= 1)) throw new RangeError(`detect minOnPhoto must be in [0, 1], got ${JSON.stringify(c.minOnPhoto)}`);
  if (!Number.isInteger(c.upscaleTo) || c.upscaleTo < 0 || c.upscaleTo > 1024) throw new RangeError(`detect upscaleTo must be an integer in [0, 1024], got ${JSON.stringify(c.upscaleTo)}`);
  if (typeof c.ssdWhenCovered !== 'boolean') throw new RangeError(`detect ssdWhenCovered must be true or false, got ${JSON.stringify(c.ssdWhenCovered)}`);
  if (typeof c.ssdFallback !== 'boolean') throw new RangeError(`detect ssdFallback must be true or false, got ${JSON.stringify(c.ssdFallback)}`);
  if (typeof c.ssdMinScore !== 'number' || !(c.ssdMinScore >= 0 && c.ssdMinScore <= 1)) throw new RangeError(`detect ssdMinScore must be in [0, 1], got ${JSON.stringify(c.ssdMinScore)}`);
  if (typeof c.equalize !== 'boolean') throw new RangeError(`detect equalize must be true or false, got ${JSON.stringify(c.equalize)}`);
  if (typeof c.rescueScore !== 'number' || !(c.rescueScore >= 0 && c.rescueScore <= 1)) throw new RangeError(`detect rescueScore must be in [0, 1] (0: no rescue passes), got ${JSON.stringify(c.rescueScore)}`);
  if (!Array.isArray(c.rescuePads) || !c.rescuePads.every((p) => typeof p === 'number' && p > 0 && p <= 2)) throw new RangeError(`detect rescuePads must be a list of fractions of the photo's longer side in (0, 2], got ${JSON.stringify(c.rescuePads)}`);
  return c;
}

/** A photo decoded for detection. */
export interface Photo {
  readonly file: string;
  /** RGB pixels, EXIF orientation applied, longer side at most `maxSide`. */
  readonly image: DecodedImage;
  /** Size of the (oriented) original. */
  readonly originalWidth: number;
  readonly originalHeight: number;
  /** How transparent the photo was before it was flattened onto white (absent: no alpha channel). */
  readonly transparency?: Transparency;
}

/**
 * Reads a photo at its own aspect ratio, upright, scaled down to `maxSide`, transparency flattened onto
 * white. Errors are `ImageDecodeError`s naming the file (unreadable, not an image, over the pixel limit).
 */
export async function readPhoto(file: string, maxSide = DEFAULT_DETECT.maxSide): Promise<Photo> {
  const buf = await readImageFile(file);
  const { input, width: w, height: h, hasAlpha } = await openImage(buf, file, MAX_INPUT_PIXELS, 'error');
  const scale = Math.min(1, maxSide / Math.max(w, h));
  const tw = Math.max(1, Math.round(w * scale));
  const th = Math.max(1, Math.round(h * scale));
  try {
    const scaled = input.resize(tw, th, { fit: 'fill' });
    const transparency = hasAlpha ? await transparencyOf(scaled) : undefined;
    const { data, info } = await flattenAlpha(scaled).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels, expected 3`);
    const image: DecodedImage = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
    return { file, image, originalWidth: w, originalHeight: h, ...(transparency ? { transparency } : {}) };
  } catch (err) {
    throw decodeFailure(err, file);
  }
}

/** One face found in a photo (pixel coordinates of the decoded photo). */
export interface DetectedFace {
  /** The detector's box. */
  readonly box: PixelBox;
  readonly score: number;
  /** 68 landmarks. */
  readonly landmarks: readonly Point2[];
  /** face-api's landmark-aligned box (`landmarks.align()`), not square. */
  readonly alignedBox: PixelBox;
  /** The square region that is cropped for the recognition network (may reach outside the photo). */
  readonly cropBox: PixelBox;
  /** Angle (radians) the eye line makes with the horizontal. */
  readonly roll: number;
  /** Which pass of the cascade found it (`tiny`, `tiny+pad`, `ssd`, `ssd+pad`). */
  readonly found: FoundBy;
  /** The border added before detection, as a fraction of the photo's longer side (0: none). */
  readonly pad: number;
  /** How that border was filled (absent when `pad` is 0); the crop is taken from the photo padded the same way. */
  readonly padMode?: 'mirror' | 'mean';
  /** The photo was upscaled by this factor before detection (1: not). */
  readonly upscaled: number;
}

const mean = (pts: readonly Point2[]): Point2 => ({ x: pts.reduce((s, p) => s + p.x, 0) / pts.length, y: pts.reduce((s, p) => s + p.y, 0) / pts.length });

/** Centre of the left and right eye (68-point indices 36-41 and 42-47, image left first). */
export function eyeCentres(landmarks: readonly Point2[]): [Point2, Point2] {
  if (landmarks.length !== 68) throw new RangeError(`eyeCentres needs 68 landmarks, got ${landmarks.length}`);
  return [mean(landmarks.slice(36, 42)), mean(landmarks.slice(42, 48))];
}

/** The square of side max(w, h) with the same centre as `box`. */
export function squareAround(box: PixelBox): PixelBox {
  const side = Math.max(box.width, box.height);
  return { left: box.left + box.width / 2 - side / 2, top: box.top + box.height / 2 - side / 2, width: side, height: side };
}

/** The image padded for detection, and where the original sits in it. */
export interface PaddedImage {
  readonly image: DecodedImage;
  /** Pixels added on the left and on the top. */
  readonly dx: number;
  readonly dy: number;
}

/** `image` with a border of `fraction` of its longer side on every side, mirrored or in its mean colour. */
export async function padImage(image: DecodedImage, fraction: number, mode: 'mirror' | 'mean'): Promise<PaddedImage> {
  const p = Math.round(fraction * Math.max(image.width, image.height));
  if (p === 0) return { image, dx: 0, dy: 0 };
  const raw = { width: image.width, height: image.height, channels: image.channels as 1 | 2 | 3 | 4 };
  let background = { r: 0, g: 0, b: 0 };
  if (mode === 'mean') {
    const sum = [0, 0, 0];
    for (let i = 0; i < image.data.length; i += 3) { sum[0] += image.data[i]; sum[1] += image.data[i + 1]; sum[2] += image.data[i + 2]; }
    const n = image.data.length / 3;
    background = { r: Math.round(sum[0] / n), g: Math.round(sum[1] / n), b: Math.round(sum[2] / n) };
  }
  // sharp mirrors a border only as wide as the image; wider borders are built in steps
  let cur: DecodedImage = image;
  let left = p;
  while (left > 0) {
    const step = mode === 'mirror' ? Math.min(left, cur.width - 1, cur.height - 1) : left;
    const { data, info } = await sharp(Buffer.from(cur.data.buffer, cur.data.byteOffset, cur.data.byteLength), { raw: { ...raw, width: cur.width, height: cur.height } })
      .extend({ top: step, bottom: step, left: step, right: step, extendWith: mode === 'mirror' ? 'mirror' : 'background', background })
      .raw().toBuffer({ resolveWithObject: true });
    cur = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
    left -= step;
  }
  return { image: cur, dx: p, dy: p };
}

/** `image` resized by `factor` (Lanczos). */
async function scaleImage(image: DecodedImage, factor: number): Promise<DecodedImage> {
  const w = Math.round(image.width * factor);
  const h = Math.round(image.height * factor);
  const { data, info } = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}

/** The tiny detector's input size for an image of this size (see `tinyInputMax`). */
export function tinyInputFor(c: Pick<DetectConfig, 'tinyInputSize' | 'tinyInputMax'>, width: number, height: number): number {
  const want = Math.ceil((0.64 * Math.max(width, height)) / 32) * 32;
  return Math.min(c.tinyInputMax, Math.max(c.tinyInputSize, want));
}

/** Intersection over union of two boxes. */
export function boxIou(a: PixelBox, b: PixelBox): number {
  const w = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const h = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * Drops detections of a face already found (a box overlapping a better-scored one by IoU > 0.3, or whose
 * centre lies inside it): face-api's own suppression (IoU 0.4) lets the tiny detector's large boxes of one
 * face through twice.
 */
export function dedupeFaces<F extends { box: PixelBox; score: number }>(faces: readonly F[]): F[] {
  const kept: F[] = [];
  for (const f of [...faces].sort((x, y) => y.score - x.score)) {
    const cx = f.box.left + f.box.width / 2;
    const cy = f.box.top + f.box.height / 2;
    const inside = (k: F): boolean => cx > k.box.left && cx < k.box.left + k.box.width && cy > k.box.top && cy < k.box.top + k.box.height;
    if (!kept.some((k) => boxIou(k.box, f.box) > 0.3 || inside(k))) kept.push(f);
  }
  return kept;
}

/** A face-api detection (`FaceDetection`): its box in the detector input's pixels and its score. */
interface RawDetection {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly score: number;
}

/** One detector pass on an image tensor: the detector's boxes, no landmarks yet (coordinates are the image's). */
async function detectPass(input: tf.Tensor3D, detector: 'tiny' | 'ssd', c: DetectConfig, load: LoadFaceApiOptions, low: boolean): Promise<RawDetection[]> {
  const api = await loadFaceApi([detector], load);
  const [height, width] = input.shape;
  const options = detector === 'ssd' ? new api.SsdMobilenetv1Options({ minConfidence: low ? c.rescueScore : c.ssdMinScore })
    : new api.TinyFaceDetectorOptions({ inputSize: tinyInputFor(c, width, height), scoreThreshold: low ? c.rescueScore : c.minScore });
  return await (api.detectAllFaces(input, options) as unknown as Promise<RawDetection[]>);
}

/**
 * The 68 landmarks of one detection, as `detectAllFaces(...).withFaceLandmarks()` computes them for each
 * face (the detection's box cut from the image, the landmark net on it, the points shifted back, face-api's
 * aligned box): the same numbers, for the one face that is used. Undefined when the box lies outside the image.
 */
async function landmarksOf(input: tf.Tensor3D, det: RawDetection, load: LoadFaceApiOptions): Promise<Omit<DetectedFace, 'found' | 'pad' | 'padMode' | 'upscaled'> | undefined> {
  const api = await loadFaceApi(['landmarks'], load);
  const faces = await api.extractFaceTensors(input, [det]);
  let r: FaceApiResult;
  try {
    if (faces.length === 0) return undefined;
    r = api.extendWithFaceLandmarks(api.extendWithFaceDetection({}, det), await api.nets.faceLandmark68Net.detectLandmarks(faces[0]));
  } finally {
    tf.dispose(faces);
  }
  const b = r.detection.box;
  const a = r.landmarks.align();
  const landmarks = r.landmarks.positions.map((p) => ({ x: p.x, y: p.y }));
  const [l, rt] = eyeCentres(landmarks);
  return {
    box: { left: b.x, top: b.y, width: b.width, height: b.height },
    score: r.detection.score,
    landmarks,
    alignedBox: { left: a.x, top: a.y, width: a.width, height: a.height },
    cropBox: squareAround({ left: a.x, top: a.y, width: a.width, height: a.height }),
    roll: Math.atan2(rt.y - l.y, rt.x - l.x),
  };
}

/** One pass of the cascade: which detector on which copy of the photo, at which minimum score. */
export interface DetectPass {
  readonly found: FoundBy;
  readonly pad: number;
  readonly equalized: boolean;
  /** The rescue score (`rescueScore`) instead of the detector's own minimum. */
  readonly low: boolean;
}

/**
 * The passes a config runs, in order: the detector, then each padding (tiny, then SSD with `ssdFallback`),
 * then (`equalize`) the configured detector on the contrast-equalised photo, plain and padded; then (with a
 * `rescueScore`) all of them again at that score, padded by each of `rescuePads`.
 */
export function detectPasses(c: Pick<DetectConfig, 'detector' | 'pads' | 'ssdFallback' | 'equalize' | 'rescueScore' | 'rescuePads'>): DetectPass[] {
  const stage = (pads: readonly number[], low: boolean): DetectPass[] => {
    const passes: DetectPass[] = [];
    const add = (found: ScoredPass, pad: number, equalized: boolean): void => { passes.push({ found: low ? `${found}+low` : found, pad, equalized, low }); };
    const detectors: ('tiny' | 'ssd')[] = c.detector === 'ssd' ? ['ssd'] : c.ssdFallback ? ['tiny', 'ssd'] : ['tiny'];
    for (const d of detectors) {
      add(d, 0, false);
      for (const pad of pads) add(`${d}+pad`, pad, false);
    }
    if (c.equalize) {
      add(`${c.detector}+eq`, 0, true);
      for (const pad of pads) add(`${c.detector}+eq+pad`, pad, true);
    }
    return passes;
  };
  return [...stage(c.pads, false), ...(c.rescueScore > 0 ? stage(c.rescuePads, true) : [])];
}

/**
 * The photo with its contrast equalised region by region (CLAHE, sharp; regions a quarter of the longer side):
 * what the `equalize` passes of the cascade search.
 */
export async function equalizeContrast(image: DecodedImage): Promise<DecodedImage> {
  const region = Math.max(8, Math.round(Math.max(image.width, image.height) / 4));
  const { data, info } = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .clahe({ width: region, height: region }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}

/**
 * Finds faces in a decoded image, best first by the config's `choose` rule (largest area, or nearest the
 * centre), ignoring those smaller than `minFaceSize`. An empty list means no face was found.
 *
 * A cascade: the configured detector on the photo (upscaled to `upscaleTo` when small), then, only when
 * nothing was found, on the photo padded by each of `pads` (tight crops), then SSD MobileNet v1 the same two ways
 * (`ssdFallback`; on the unpadded photo only when it is larger than the tiny detector's input, `ssdWhenCovered`).
 * In a padded photo only faces centred on the photo itself count; a mirrored pass that finds only mirror copies is
 * retried with a mean-coloured border (`padMode`). Each face says which pass found it (`found`, `pad`, `padMode`);
 * coordinates are always the photo's. Each network is loaded when a pass first needs it (SSD only for a photo the
 * tiny passes found nothing in), and the landmark net runs only on the faces returned (not on mirror copies or
 * suppressed duplicates).
 */
export async function detectFaces(image: DecodedImage, config: Partial<DetectConfig> = {}, load: LoadFaceApiOptions = {}): Promise<DetectedFace[]> {
  return (await detectCascade(image, config, load, 'all')).faces;
}

/**
 * The face a photo stands for: {@link detectFaces}' first face, found by the same cascade, with the landmark
 * net run on that face only (the others are counted, `facesFound`, not located). `face` is undefined when no
 * face was found. What `siamese verify` uses: the same face, landmarks, chip and verdict as `detectFaces(...)[0]`.
 * With `share`, another thread may run some of the cascade's passes ({@link SharedCascade}); the answer is the same.
 */
export async function detectChosenFace(image: DecodedImage, config: Partial<DetectConfig> = {}, load: LoadFaceApiOptions = {}, share?: CascadeShare): Promise<{ face?: DetectedFace; facesFound: number }> {
  const cascade = cascadePasses(image, config, load, 'chosen');
  const { faces, count } = share ? await runShared(cascade, share) : await runInOrder(cascade);
  return { ...(faces.length > 0 ? { face: faces[0] } : {}), facesFound: count };
}

/** What one pass of the cascade found: the faces it returns, landmarks located (empty: none), and how many it kept. */
export interface PassOutcome {
  readonly faces: DetectedFace[];
  readonly count: number;
}

/** A pass (or a cascade) that found nothing: a new object each time, so no caller shares the array. */
const nothing = (): PassOutcome => ({ faces: [], count: 0 });

/** `Atomics.waitAsync` (Node 16+; not in the ES2022 typings this project compiles against). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs?: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

/**
 * One photo's detection cascade shared by two threads (photo-helper.ts): both claim its passes, in cascade order,
 * from one counter in shared memory, and the thread that owns the photo takes the outcome of the first pass, in
 * cascade order, that found a face, whichever thread ran it. When a thread's own photo is done early (the tiny
 * detector found its face), it runs the passes the other photo has not started yet instead of waiting. Only who
 * runs a pass changes: each pass gives the same bits on either thread (the same code on the same backend), so
 * the face, its landmarks and the verdict are those of one thread.
 *
 * The other thread joins only when the owner starts a slow pass (SSD, about 190 ms against the tiny detector's
 * 25-65) after the first pass found nothing ({@link SharedCascade.openToHelp}): most faces are found by the first
 * pass and most tight crops by the tiny detector on the padded photo, and a slow pass started for nothing would hold
 * the other thread (and the verdict waiting for it) for its whole length. A photo that reaches SSD is mostly one
 * without a face, where every pass runs, and two threads run its slow passes in about half the time.
 */
export class SharedCascade {
  /** [passes claimed so far, passes that may still start (the first that found a face + 1), 1 once the other thread may join]. */
  private readonly state: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    if (buffer.byteLength !== 12) throw new RangeError(`SharedCascade needs a 12-byte SharedArrayBuffer, got ${buffer.byteLength} bytes`);
    this.state = new Int32Array(buffer);
  }

  static create(): SharedCascade {
    const s = new SharedCascade(new SharedArrayBuffer(12));
    Atomics.store(s.state, 1, 0x7fffffff);
    return s;
  }

  /** The next of `total` passes for the owner to run, or -1 when all are claimed or an earlier one found a face. */
  claim(total: number): number {
    const i = Atomics.add(this.state, 0, 1);
    return i < Math.min(total, Atomics.load(this.state, 1)) ? i : -1;
  }

  /** The owner lets the other thread claim passes from now on (see the class doc). */
  openToHelp(): void {
    if (Atomics.exchange(this.state, 2, 1) === 0) Atomics.notify(this.state, 2);
  }

  /**
   * The next of `total` passes for the other thread to run, once the owner lets it ({@link openToHelp}; waits until
   * then), or -1 when none is left or the owner is done.
   */
  async claimToHelp(total: number): Promise<number> {
    for (;;) {
      const claimed = Atomics.load(this.state, 0);
      if (claimed >= Math.min(total, Atomics.load(this.state, 1))) return -1;
      if (Atomics.load(this.state, 2) === 1) {
        if (Atomics.compareExchange(this.state, 0, claimed, claimed + 1) === claimed) return claimed;
        continue;
      }
      // until the owner opens the cascade or closes it (both set the flag); the timeout only guards against a lost wake-up
      const wait = waitAsync(this.state, 2, 0, 1000);
      if (wait.async) await wait.value;
    }
  }

  /** The owner has its answer (or gave up on the photo): no pass starts any more. */
  close(): void {
    Atomics.store(this.state, 1, 0);
    Atomics.store(this.state, 2, 1);
    Atomics.notify(this.state, 2);
  }

  /** Pass `i` found a face: no later pass starts (one already running finishes; its outcome is not used). */
  foundAt(i: number): void {
    let limit = Atomics.load(this.state, 1);
    while (i + 1 < limit) {
      const seen = Atomics.compareExchange(this.state, 1, limit, i + 1);
      if (seen === limit) return;
      limit = seen;
    }
  }
}

/** A cascade this thread owns and shares: the claims, and the outcomes of the passes the other thread ran. */
export interface CascadeShare {
  readonly cascade: SharedCascade;
  /** The outcome of pass `i`, which the other thread claimed (null: it could not run it, so it runs here). */
  theirs(i: number): Promise<PassOutcome | null>;
}

/**
 * Runs passes of another thread's photo ({@link SharedCascade}), from when its owner lets it until none is left to
 * claim, handing each outcome to `done` (null when the pass failed here: its owner runs it again and gets the error
 * itself). Resolves with how many passes ran here.
 */
export async function helpCascade(image: DecodedImage, config: Partial<DetectConfig>, load: LoadFaceApiOptions, cascade: SharedCascade,
  done: (pass: number, outcome: PassOutcome | null) => void): Promise<number> {
  const { total, run } = cascadePasses(image, config, load, 'chosen');
  let ran = 0;
  for (let i = await cascade.claimToHelp(total); i >= 0; i = await cascade.claimToHelp(total)) {
    let outcome: PassOutcome | null = null;
    try {
      outcome = await run(i);
    } catch {
      outcome = null;
    }
    ran++;
    if (outcome && outcome.faces.length > 0) cascade.foundAt(i);
    done(i, outcome);
  }
  return ran;
}

/** The cascade behind {@link detectFaces} and {@link detectChosenFace}: landmarks for every face found, or for the chosen one only. */
async function detectCascade(image: DecodedImage, config: Partial<DetectConfig>, load: LoadFaceApiOptions, landmarksFor: 'all' | 'chosen'): Promise<PassOutcome> {
  return runInOrder(cascadePasses(image, config, load, landmarksFor));
}

interface CascadePasses {
  /** How many passes the config has (a pass the photo does not need finds nothing at once). */
  readonly total: number;
  /** Runs pass `i` (0-based, in cascade order). */
  run(i: number): Promise<PassOutcome>;
  /** Whether pass `i` runs SSD (a slow pass; not one this photo skips). */
  slow(i: number): boolean;
}

/** One pass after another until one finds a face. */
async function runInOrder({ total, run }: CascadePasses): Promise<PassOutcome> {
  for (let i = 0; i < total; i++) {
    const outcome = await run(i);
    if (outcome.faces.length > 0) return outcome;
  }
  return nothing();
}

/** The passes claimed here run here; then the outcome of the first pass that found a face, wherever it ran. */
async function runShared({ total, run, slow }: CascadePasses, share: CascadeShare): Promise<PassOutcome> {
  const mine = new Map<number, PassOutcome>();
  for (let i = share.cascade.claim(total); i >= 0; i = share.cascade.claim(total)) {
    if (i > 0 && slow(i)) share.cascade.openToHelp();
    const outcome = await run(i);
    mine.set(i, outcome);
    if (outcome.faces.length > 0) {
      share.cascade.foundAt(i);
      break;
    }
  }
  // every pass before the first face found was claimed by one of the threads and runs to its end
  for (let i = 0; i < total; i++) {
    const outcome = mine.get(i) ?? await share.theirs(i) ?? await run(i);
    if (outcome.faces.length > 0) return outcome;
  }
  return nothing();
}

/** The passes of the cascade on one photo, each runnable on its own (the copies of the photo they need are made once). */
function cascadePasses(image: DecodedImage, config: Partial<DetectConfig>, load: LoadFaceApiOptions, landmarksFor: 'all' | 'chosen'): CascadePasses {
  const c = resolveDetect(config);
  if (image.channels !== 3) throw new RangeError(`detectFaces needs an RGB image, got ${image.channels} channel(s)`);
  const short = Math.min(image.width, image.height);
  const k = short < c.upscaleTo ? c.upscaleTo / short : 1;
  const cx = image.width / 2;
  const cy = image.height / 2;
  const rank = (f: { box: PixelBox }): number => (c.choose === 'largest' ? -f.box.width * f.box.height
    : Math.hypot(f.box.left + f.box.width / 2 - cx, f.box.top + f.box.height / 2 - cy));
  const inputs = new Map<string, { src: PaddedImage; scaled: DecodedImage }>();
  let equalized: DecodedImage | undefined;
  const input = async (pad: number, mode: 'mirror' | 'mean', eq: boolean): Promise<{ src: PaddedImage; scaled: DecodedImage }> => {
    const key = `${eq ? 'eq:' : ''}${pad === 0 ? '0' : `${mode}@${pad}`}`;
    if (!inputs.has(key)) {
      if (eq) equalized ??= await equalizeContrast(image);
      const base = eq ? equalized! : image;
      const p = pad === 0 ? { image: base, dx: 0, dy: 0 } : await padImage(base, pad, mode);
      inputs.set(key, { src: p, scaled: k === 1 ? p.image : await scaleImage(p.image, k) });
    }
    return inputs.get(key)!;
  };
  const onPhoto = (b: PixelBox): boolean => {
    const x = b.left + b.width / 2;
    const y = b.top + b.height / 2;
    if (!(x > 0 && x < image.width && y > 0 && y < image.height)) return false;
    const w = Math.min(b.left + b.width, image.width) - Math.max(b.left, 0);
    const h = Math.min(b.top + b.height, image.height) - Math.max(b.top, 0);
    return (w * h) / (b.width * b.height) >= c.minOnPhoto;
  };
  // the tiny detector's input already shows the whole (upscaled) photo at its own size or larger
  const covered = Math.max(image.width, image.height) * k <= tinyInputFor(c, image.width * k, image.height * k);
  const passes = detectPasses(c);
  const skipped = ({ found, pad, equalized }: DetectPass): boolean => covered && !c.ssdWhenCovered && c.detector === 'tiny' && found.startsWith('ssd') && pad === 0 && !equalized;
  const run = async (i: number): Promise<PassOutcome> => {
    const { found, pad, equalized: eq, low } = passes[i];
    if (skipped(passes[i])) return nothing();
    // a mirrored border that yields only mirror copies of the face is retried with the mean colour (see padMode)
    const modes: ('mirror' | 'mean')[] = pad === 0 ? [c.padMode] : c.padMode === 'mirror' ? ['mirror', 'mean'] : ['mean'];
    for (const mode of modes) {
      const { src, scaled } = await input(pad, mode, eq);
      const tensor = tf.tensor3d(scaled.data, [scaled.height, scaled.width, 3], 'int32');
      try {
        const raw = await detectPass(tensor, found.startsWith('ssd') ? 'ssd' : 'tiny', c, load, low);
        const back = (p: Point2): Point2 => ({ x: p.x / k - src.dx, y: p.y / k - src.dy });
        const box = (b: PixelBox): PixelBox => ({ left: b.left / k - src.dx, top: b.top / k - src.dy, width: b.width / k, height: b.height / k });
        const all = raw.map((det) => ({ det, box: box({ left: det.box.x, top: det.box.y, width: det.box.width, height: det.box.height }), score: det.score }))
          .filter((f) => Math.min(f.box.width, f.box.height) * k >= c.minFaceSize);
        // in a padded photo only faces centred on the photo itself (and mostly on it) count, and they are kept before duplicates are
        // suppressed, so a mirrored copy in the border (often scored higher) cannot suppress the face itself
        const kept = dedupeFaces(pad === 0 ? all : all.filter((f) => onPhoto(f.box))).sort((x, y) => rank(x) - rank(y));
        // the landmark net on the faces returned only: every kept face, or the first (the chosen one)
        const faces: DetectedFace[] = [];
        for (const f of kept) {
          if (landmarksFor === 'chosen' && faces.length > 0) break;
          const lm = await landmarksOf(tensor, f.det, load);
          if (!lm) continue;
          faces.push({
            ...lm, box: box(lm.box), alignedBox: box(lm.alignedBox), cropBox: box(lm.cropBox), landmarks: lm.landmarks.map(back), found, pad, ...(pad === 0 ? {} : { padMode: mode }), upscaled: k,
          });
        }
        if (faces.length > 0) return { faces, count: landmarksFor === 'all' ? faces.length : kept.length };
        // nothing at all was found in the mirrored photo: a mean-coloured border would not help
        if (all.length === 0) break;
      } finally {
        tensor.dispose();
      }
    }
    return nothing();
  };
  return { total: passes.length, run, slow: (i) => passes[i].found.startsWith('ssd') && !skipped(passes[i]) };
}

/** Side of face-api's landmark net input (it resizes each face to this). */
const LANDMARK_INPUT = 112;

/**
 * Runs the networks a usual photo needs once at the shapes it uses (the backend prepares each operator on its
 * first call): the config's first detector on a blank photo (no padded passes, no SSD: the whole cascade on a
 * blank image would run every pass, SSD's included) and the landmark net on a blank face. SSD, the cascade's
 * fallback, is loaded the first time a photo needs it.
 */
export async function warmUpDetection(config: Partial<DetectConfig> = {}, load: LoadFaceApiOptions = {}): Promise<void> {
  const c = resolveDetect(config);
  const blank = { data: new Uint8Array(c.tinyInputSize * c.tinyInputSize * 3).fill(128), width: c.tinyInputSize, height: c.tinyInputSize, channels: 3 as const };
  await detectFaces(blank, { ...c, pads: [], ssdFallback: false, equalize: false, rescueScore: 0 }, load);
  const face = tf.fill([LANDMARK_INPUT, LANDMARK_INPUT, 3], 128, 'int32') as tf.Tensor3D;
  try {
    await (await loadFaceApi(['landmarks'], load)).nets.faceLandmark68Net.detectLandmarks(face);
  } finally {
    face.dispose();
  }
}

/**
 * Crops `box` (pixels, may reach outside the image: outside is black) from `image`, resized to
 * `size` x `size` with bilinear interpolation; with `roll` (radians) the crop is turned by that angle about
 * its centre first, so a tilted eye line comes out level. Returns RGB pixels.
 */
export function cropBox(image: DecodedImage, box: PixelBox, size: number, roll = 0): DecodedImage {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`crop size must be a positive integer, got ${size}`);
  const values = tf.tidy(() => {
    const img = tf.tensor4d(image.data, [1, image.height, image.width, image.channels], 'int32').toFloat();
    const s = box.width / size;
    const t = box.height / size;
    const cosA = Math.cos(roll);
    const sinA = Math.sin(roll);
    // output pixel (u, v) -> input (x, y): centre-relative, scaled, rotated by roll, shifted to the box centre
    const cx = box.left + box.width / 2;
    const cy = box.top + box.height / 2;
    const a0 = s * cosA;
    const a1 = -t * sinA;
    const b0 = s * sinA;
    const b1 = t * cosA;
    const a2 = cx - a0 * (size / 2 - 0.5) - a1 * (size / 2 - 0.5) - 0.5;
    const b2 = cy - b0 * (size / 2 - 0.5) - b1 * (size / 2 - 0.5) - 0.5;
    const out = tf.image.transform(img, tf.tensor2d([[a0, a1, a2, b0, b1, b2, 0, 0]]), 'bilinear', 'constant', 0, [size, size]);
    return out.clipByValue(0, 255).round().toInt();
  });
  const data = new Uint8Array(values.dataSync());
  values.dispose();
  return { data, width: size, height: size, channels: image.channels };
}

/** The crop the recognition network sees for a detected face. */
export function cropFace(image: DecodedImage, face: DetectedFace, size: number, rotate = DEFAULT_DETECT.rotate): DecodedImage {
  return cropBox(image, face.cropBox, size, rotate ? face.roll : 0);
}
