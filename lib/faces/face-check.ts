/**
 * "Is this a face?": a check for every crop that would be described, so a non-face (a gradient, text, a
 * landscape, noise the detector fired on, or a non-face passed with `--aligned`) never gets a same/different
 * verdict.
 *
 * A crop is a face when the detection cascade (detect.ts) finds a face in it (for an `--aligned` image: in the
 * image itself, which the cascade pads, so tight crops are found) and that face's 68 landmarks fit dlib's
 * mean face: the RMS residual of the chip's similarity fit (chip.ts, in pixels of a 150 px chip) is at most
 * the threshold. The landmark net always answers with 68 points; on a real face they sit where a face's
 * features are (residual 1.5-9 px on LFW), on whatever fooled the detector they are a distorted face
 * (residual 15-130 px on generated non-faces).
 *
 * The threshold is fitted on ONE generated family of non-faces (probe-images.ts) against real face crops and
 * tested on the other families; it is committed with how it was fitted in `face-check.json`
 * (`bench/face-check.ts --write` refits it).
 *
 * An SSD score on the re-aligned chip was tried first and dropped: real LFW faces scored anywhere in
 * 0.02-0.999 on it, as low as the non-faces.
 *
 * @see notebooks/07-personal-images.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DecodedImage } from '../data/types';
import { projectRoot } from '../util/paths';
import { chipTransform } from './chip';
import { loadFaceApi, type LoadFaceApiOptions, type Point2 } from './face-api';

/** The check's outcome for one crop. */
export interface FaceCheck {
  /** RMS distance (pixels of a 150 px dlib chip) of the landmarks from dlib's mean face after the best fit. */
  readonly rms: number;
  readonly threshold: number;
  readonly isFace: boolean;
}

/** The committed threshold and how it was fitted. */
export interface FaceCheckSettings {
  readonly threshold: number;
  readonly fittedOn: string;
  readonly command: string;
  readonly [extra: string]: unknown;
}

/** The committed settings file. */
export function faceCheckFile(): string {
  return path.join(projectRoot(), 'lib', 'faces', 'face-check.json');
}

/** Reads the face check's settings (throws naming the file when it is missing or malformed). */
export function readFaceCheck(file = faceCheckFile()): FaceCheckSettings {
  let s: FaceCheckSettings;
  try {
    s = JSON.parse(fs.readFileSync(file, 'utf8')) as FaceCheckSettings;
  } catch (err) {
    throw new Error(`cannot read the face check's settings ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); refit with bench/face-check.ts --write`);
  }
  if (typeof s.threshold !== 'number' || !(s.threshold > 0) || !Number.isFinite(s.threshold)) throw new Error(`${file}: threshold must be a positive number (pixels of a 150 px chip), got ${JSON.stringify(s.threshold)}`);
  return s;
}

/**
 * The 68 landmarks of the face filling `image` (an aligned crop): the landmark net run on the whole image,
 * as it would be on a detector's box. Photo coordinates.
 */
export async function landmarksOfCrop(image: DecodedImage, load: LoadFaceApiOptions = {}): Promise<Point2[]> {
  const api = await loadFaceApi(['landmarks'], load);
  const input = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  try {
    const lm = await api.nets.faceLandmark68Net.detectLandmarks(input) as { positions: readonly Point2[] };
    return lm.positions.map((p) => ({ x: p.x, y: p.y }));
  } finally {
    input.dispose();
  }
}

/**
 * The face check of a face with these 68 landmarks (from the detection cascade): the chip fit's RMS residual
 * against `threshold` (default: the committed one).
 */
export function checkLandmarks(landmarks: readonly Point2[], threshold = readFaceCheck().threshold): FaceCheck {
  const rms = chipTransform(landmarks).rmsChipPixels;
  return { rms, threshold, isFace: rms <= threshold };
}
