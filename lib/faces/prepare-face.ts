/**
 * One photo to one face crop, ready for an embedder: decode (EXIF orientation applied), find faces, pick
 * one, crop it aligned: by default dlib's face chip (a similarity transform fitted from the 68 landmarks to
 * dlib's mean face, lib/faces/chip.ts: the crop face-api's recognition net was trained on), or with
 * `crop: 'box'` the landmark-aligned box widened to a square (the crop used before the chip). Or, with `aligned`, take the image as an already-cropped face (the synthetic set,
 * LFW-style crops) and only resize it. The outcome says what happened, so callers can answer "no face
 * found" instead of guessing, and warns when the photo was transparent (flattened onto white first).
 *
 * @see notebooks/07-personal-images.ipynb
 */
import type { PixelBox } from '../data/crop';
import { transparencyWarning } from '../data/image';
import type { DecodedImage } from '../data/types';
import type { LoadFaceApiOptions } from './face-api';
import { chipOverhang, chipTransform, extractChip } from './chip';
import { checkLandmarks, type FaceCheck } from './face-check';
import { cropBox, cropFace, detectChosenFace, padImage, readPhoto, resolveDetect, type CascadeShare, type DetectConfig, type DetectedFace, type FoundBy, type Photo } from './detect';

/** How to turn a photo into a crop. */
export interface PrepareOptions {
  /** Side of the crop (the embedder's input size). */
  readonly size: number;
  /** The image already is a face crop: skip detection, use the central square. */
  readonly aligned?: boolean;
  readonly detect?: Partial<DetectConfig>;
  /**
   * When no face is found: `'none'` (default) reports it; a box (fractions of the photo) is cropped instead
   * and the outcome says `fallback` (for benchmark images that must all get a value, e.g. LFW's centre).
   */
  readonly fallback?: 'none' | { readonly left: number; readonly top: number; readonly width: number; readonly height: number };
  readonly load?: LoadFaceApiOptions;
  /** How a detected face is cropped: `'chip'` (default, dlib's face chip) or `'box'` (the squared aligned box). */
  readonly crop?: FaceCrop;
  /**
   * The face check's threshold (face-check.ts; `readFaceCheck().threshold` is the committed one): a crop whose
   * face fails it, or an `aligned` image in which the cascade finds no face, is `not-a-face`. Absent: no check.
   */
  readonly check?: number;
}

/** How a detected face becomes the embedder's input. */
export type FaceCrop = 'chip' | 'box';
export const FACE_CROPS: readonly FaceCrop[] = ['chip', 'box'];
export const DEFAULT_FACE_CROP: FaceCrop = 'chip';

/** Checks a crop name (from a flag or a config); errors name the value and the choices. */
export function parseFaceCrop(value: string, what = 'crop'): FaceCrop {
  if ((FACE_CROPS as readonly string[]).includes(value)) return value as FaceCrop;
  throw new RangeError(`${what} must be one of ${FACE_CROPS.join(', ')}, got ${JSON.stringify(value)}`);
}

/** The crop of a detected face, `size` pixels a side, as `crop` says. */
export function cropDetectedFace(image: DecodedImage, face: DetectedFace, size: number, crop: FaceCrop = DEFAULT_FACE_CROP, rotate = false): DecodedImage {
  if (crop === 'box') return cropFace(image, face, size, rotate);
  const chip = extractChip(image, chipTransform(face.landmarks, size).toPhoto, size);
  return { data: chip.data, width: size, height: size, channels: image.channels };
}

/** The face shifted into the coordinates of an image padded by (dx, dy). */
function shiftFace(face: DetectedFace, dx: number, dy: number): DetectedFace {
  const box = (b: PixelBox): PixelBox => ({ ...b, left: b.left + dx, top: b.top + dy });
  return { ...face, box: box(face.box), alignedBox: box(face.alignedBox), cropBox: box(face.cropBox), landmarks: face.landmarks.map((p) => ({ x: p.x + dx, y: p.y + dy })) };
}

/**
 * {@link cropDetectedFace} for a face the cascade found: where its chip reaches outside the photo (a tight crop,
 * a face at the edge), the chip is cut from the photo padded (the face's `padMode`, else the config's: mirrored
 * by default), so the border holds the photo's own texture, not black. A face found only in the padded photo is
 * cut from the photo padded as it was found. On View 2's pairs of tight LFW crops (bench/lfw-tight-crops.ts) a
 * mirrored border instead of black raised face-api's zero-shot AUC from 0.9895 to 0.9903 (fold 2) and from
 * 0.9889 to 0.9905 (fold 7), about 350 of each fold's 780-810 images concerned (2026-12-03).
 */
export async function cropFoundFace(image: DecodedImage, face: DetectedFace, size: number, detect: Pick<DetectConfig, 'padMode'>, crop: FaceCrop = DEFAULT_FACE_CROP, rotate = false): Promise<DecodedImage> {
  let pad = face.pad;
  if (pad === 0 && crop === 'chip') {
    const longer = Math.max(image.width, image.height);
    const over = chipOverhang(image.width, image.height, chipTransform(face.landmarks, size).toPhoto, size);
    // a border one pixel wider than the overhang, at most twice the photo's longer side (beyond it, black)
    if (over > 0) pad = Math.min(2, (Math.ceil(over) + 1) / longer);
  }
  if (pad === 0) return cropDetectedFace(image, face, size, crop, rotate);
  const padded = await padImage(image, pad, face.padMode ?? detect.padMode);
  return cropDetectedFace(padded.image, shiftFace(face, padded.dx, padded.dy), size, crop, rotate);
}

/** What happened to one photo. */
export interface PreparedFace {
  readonly file: string;
  /**
   * `face`: detected and cropped; `aligned`: used as given; `fallback`: no face, fallback box cropped; `no-face`;
   * `not-a-face`: the face check rejected it (no crop).
   */
  readonly status: 'face' | 'aligned' | 'fallback' | 'no-face' | 'not-a-face';
  /** Faces found (0 with `aligned`). */
  readonly facesFound: number;
  /** The face used, when one was detected. */
  readonly face?: DetectedFace;
  /** Which pass of the detection cascade found it (absent without a detected face). */
  readonly found?: FoundBy;
  /** The face check's outcome (with `check`, when a face was found). */
  readonly faceCheck?: FaceCheck;
  /** The crop for the embedder (absent for `no-face`). */
  readonly crop?: DecodedImage;
  /** The decoded photo (upright, scaled to `maxSide`). */
  readonly photo: DecodedImage;
  /** A one-line human note (e.g. "3 faces found; used the largest"). */
  readonly note: string;
  /** What may make the answer for this photo unreliable, each naming the file (e.g. it was transparent). */
  readonly warnings: readonly string[];
}

/** Whether preparing a photo runs the detection cascade (not for `aligned` crops without the face check, only resized). */
export function runsDetection(options: Pick<PrepareOptions, 'aligned' | 'check'>): boolean {
  return !options.aligned || options.check !== undefined;
}

/** Smallest photo side accepted, in pixels. */
export const MIN_PHOTO_SIDE = 32;

function centralSquare(img: DecodedImage): PixelBox {
  const side = Math.min(img.width, img.height);
  return { left: (img.width - side) / 2, top: (img.height - side) / 2, width: side, height: side };
}

/** Prepares one photo (see the module comment). Throws an `ImageDecodeError` for unreadable files and a RangeError for tiny images. */
export async function prepareFace(file: string, options: PrepareOptions): Promise<PreparedFace> {
  return prepareDecoded(file, await readPhoto(file, resolveDetect(options.detect).maxSide), options);
}

/**
 * {@link prepareFace} for a photo already read by `readPhoto` (so several photos can be decoded at once,
 * in sharp's threads, while the networks run on this one). A bare decoded image is taken as opaque. With `share`,
 * another thread may run some of the detection cascade's passes (detect.ts, `SharedCascade`): same answer.
 */
export async function prepareDecoded(file: string, photo: Photo | DecodedImage, options: PrepareOptions, share?: CascadeShare): Promise<PreparedFace> {
  const detect = resolveDetect(options.detect);
  const image = 'image' in photo ? photo.image : photo;
  if (Math.min(image.width, image.height) < MIN_PHOTO_SIDE) {
    const original = 'image' in photo && (photo.originalWidth !== image.width || photo.originalHeight !== image.height)
      ? `${photo.originalWidth}x${photo.originalHeight} pixels (${image.width}x${image.height} scaled to at most ${detect.maxSide} a side)` : `${image.width}x${image.height} pixels`;
    throw new RangeError(`${file}: image is ${original}, too small to hold a recognisable face (at least ${MIN_PHOTO_SIDE} px a side)`);
  }
  const warning = transparencyWarning(file, 'image' in photo ? photo.transparency : undefined, options.aligned ? 'the crop' : 'detection');
  const warnings = warning ? [warning] : [];
  if (options.aligned) {
    if (options.check === undefined) {
      return { file, status: 'aligned', facesFound: 0, crop: cropBox(image, centralSquare(image), options.size), photo: image, note: 'used as an aligned crop (no detection)', warnings };
    }
    // the face check on a crop: the cascade must find a face in it, and that face must pass
    const inCrop = await detectChosenFace(image, detect, options.load, share);
    if (!inCrop.face) return { file, status: 'not-a-face', facesFound: 0, photo: image, note: 'not a face: no face found in the crop, padded or not', warnings };
    const fc = checkLandmarks(inCrop.face.landmarks, options.check);
    if (!fc.isFace) return { file, status: 'not-a-face', facesFound: inCrop.facesFound, face: inCrop.face, found: inCrop.face.found, faceCheck: fc, photo: image, note: `not a face: ${checkWords(fc)}`, warnings };
    return { file, status: 'aligned', facesFound: 0, found: inCrop.face.found, faceCheck: fc, crop: cropBox(image, centralSquare(image), options.size), photo: image, note: `used as an aligned crop (face check passed: found by ${inCrop.face.found}, ${checkWords(fc)})`, warnings };
  }
  // the cascade's chosen face (the landmark net runs on it alone, not on every face in the photo)
  const { face, facesFound } = await detectChosenFace(image, detect, options.load, share);
  if (!face) {
    const fb = options.fallback ?? 'none';
    if (fb === 'none') return { file, status: 'no-face', facesFound: 0, photo: image, note: 'no face found', warnings };
    const box = { left: fb.left * image.width, top: fb.top * image.height, width: fb.width * image.width, height: fb.height * image.height };
    return { file, status: 'fallback', facesFound: 0, crop: cropBox(image, box, options.size), photo: image, note: 'no face found; cropped the fallback box', warnings };
  }
  const fc = options.check === undefined ? undefined : checkLandmarks(face.landmarks, options.check);
  if (fc && !fc.isFace) {
    return { file, status: 'not-a-face', facesFound, face, found: face.found, faceCheck: fc, photo: image, note: `not a face: the detector (${face.found}) fired, but ${checkWords(fc)}`, warnings };
  }
  const how = `found by ${face.found}${face.upscaled > 1 ? `, upscaled x${face.upscaled.toFixed(1)}` : ''}`;
  const note = facesFound === 1 ? `1 face found (${how})` : `${facesFound} faces found (${how}); used the ${detect.choose === 'largest' ? 'largest' : 'most central'}`;
  const crop = await cropFoundFace(image, face, options.size, detect, options.crop ?? DEFAULT_FACE_CROP, detect.rotate);
  return { file, status: 'face', facesFound, face, found: face.found, ...(fc ? { faceCheck: fc } : {}), crop, photo: image, note, warnings };
}

/** The face check's numbers in words. */
function checkWords(fc: FaceCheck): string {
  return `landmark fit residual ${fc.rms.toFixed(1)} px ${fc.isFace ? '<=' : '>'} ${fc.threshold.toFixed(1)}`;
}
