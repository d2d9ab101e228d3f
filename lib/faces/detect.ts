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
import { MAX_INPUT_PIXELS, decodeFailure, flattenAlpha, openImage, readImageFile, transparencyOf, type Transparency } from '../data/image';
import type { PixelBox } from '../data/crop';
import type { DecodedImage } from '../data/types';
import { loadFaceApi, type LoadFaceApiOptions, type Point2 } from './face-api';

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
}

export const DEFAULT_DETECT: Readonly<DetectConfig> = Object.freeze({
  detector: 'tiny', minScore: 0.5, tinyInputSize: 320, maxSide: 800, minFaceSize: 24, choose: 'largest', rotate: false,
});

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

/**
 * Finds faces in a decoded image, best first by the config's `choose` rule (largest area, or nearest the
 * centre), ignoring those smaller than `minFaceSize`. An empty list means no face was found.
 */
export async function detectFaces(image: DecodedImage, config: Partial<DetectConfig> = {}, load: LoadFaceApiOptions = {}): Promise<DetectedFace[]> {
  const c = resolveDetect(config);
  if (image.channels !== 3) throw new RangeError(`detectFaces needs an RGB image, got ${image.channels} channel(s)`);
  const api = await loadFaceApi([c.detector, 'landmarks'], load);
  const input = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  let raw;
  try {
    const options = c.detector === 'ssd' ? new api.SsdMobilenetv1Options({ minConfidence: c.minScore })
      : new api.TinyFaceDetectorOptions({ inputSize: c.tinyInputSize, scoreThreshold: c.minScore });
    raw = await api.detectAllFaces(input, options).withFaceLandmarks();
  } finally {
    input.dispose();
  }
  const faces: DetectedFace[] = raw.map((r) => {
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
  }).filter((f) => Math.min(f.box.width, f.box.height) >= c.minFaceSize);
  const cx = image.width / 2;
  const cy = image.height / 2;
  const rank = (f: DetectedFace): number => (c.choose === 'largest' ? -f.box.width * f.box.height
    : Math.hypot(f.box.left + f.box.width / 2 - cx, f.box.top + f.box.height / 2 - cy));
  return faces.sort((x, y) => rank(x) - rank(y));
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
