/**
 * Group photos as a verification lesson with known answers: every face in a photo is found (not only the
 * largest, as a {@link Verifier} does for a whole photo), cropped both ways (dlib's face chip, which the
 * recognition net sees, and the older squared landmark box, for comparison), checked, and embedded.
 *
 * Pairs of faces carry what is known about them, and only pairs whose truth is known get a scored verdict:
 * - two faces in the **same** photo are two different people (a person is not in a photo twice): `different`;
 * - a face and its own **mirror image** (the chip flipped left-right) are the same person: `same`, but a
 *   weak positive (the same photo, pose and light; a real same-person pair has none of that in common);
 * - faces from **different** photos: nobody here knows whether they are the same person (`unknown`): their
 *   distance is shown, no verdict is scored.
 *
 * The demo photos are the ones `@vladmandic/face-api` ships in its npm package (`demo/sample1.jpg` ...).
 *
 * @see notebooks/07-personal-images.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DecodedImage } from '../data/types';
import type { PixelBox } from '../data/crop';
import { FACE_API_PACKAGE, type Point2 } from './face-api';
import { embedCrops, type FaceEmbedder } from './face-embedder';
import { detectFaces, readPhoto, type DetectConfig, type DetectedFace } from './detect';
import { checkLandmarks, type FaceCheck } from './face-check';
import { cropFoundFace, type FaceCrop } from './prepare-face';
import type { VerifyModelSettings } from './verify-model';
import { decide, type Verdict } from './verify';

/**
 * The group photos in face-api's npm package (`demo/sample*.jpg`, real photos of 3-5 people each), sorted by
 * number; an error names the folder when the package or its photos are missing.
 */
export function faceApiDemoPhotos(): string[] {
  let pkg: string;
  try {
    pkg = require.resolve(`${FACE_API_PACKAGE}/package.json`);
  } catch {
    throw new Error(`${FACE_API_PACKAGE} is not installed; run \`npm install ${FACE_API_PACKAGE}\``);
  }
  const dir = path.join(path.dirname(pkg), 'demo');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^sample\d+\.jpg$/i.test(f)) : [];
  if (files.length === 0) throw new Error(`no demo photos (sample*.jpg) in ${dir}`);
  const n = (f: string): number => Number(f.match(/\d+/)![0]);
  return files.sort((a, b) => n(a) - n(b)).map((f) => path.join(dir, f));
}

/** `image` flipped left-right. */
export function mirrorImage(image: DecodedImage): DecodedImage {
  const { width, height, channels } = image;
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * channels;
      const to = (y * width + (width - 1 - x)) * channels;
      for (let c = 0; c < channels; c++) data[to + c] = image.data[from + c];
    }
  }
  return { data, width, height, channels };
}

/** One face of a group photo. */
export interface GroupFace {
  /** The photo's short name (file name without extension, e.g. `sample1`). */
  readonly photo: string;
  /** 1-based, left to right in the photo. */
  readonly index: number;
  /** `<photo>#<index>`, as the marked photo numbers it. */
  readonly label: string;
  readonly face: DetectedFace;
  /** dlib's face chip: what the recognition network sees. */
  readonly chip: DecodedImage;
  /** The squared landmark box (`crop: 'box'`), the older crop, for comparison. */
  readonly box: DecodedImage;
  /** The face check (absent when the verifier runs none). */
  readonly faceCheck?: FaceCheck;
  /** The embedding of the crop the verifier uses; absent when the face check rejected the face. */
  readonly embedding?: readonly number[];
  /** The embedding of that crop flipped left-right (with `mirror`). */
  readonly mirrorEmbedding?: readonly number[];
}

/** A group photo and its faces. */
export interface GroupPhoto {
  readonly file: string;
  readonly name: string;
  /** The decoded photo (upright, longer side at most the detector's `maxSide`). */
  readonly image: DecodedImage;
  readonly faces: readonly GroupFace[];
}

/** What {@link groupPhotoFaces} needs of a {@link Verifier}: its embedder, crop, detector settings and face check. */
export interface GroupVerifier {
  readonly embedder: FaceEmbedder;
  readonly settings: Pick<VerifyModelSettings, 'threshold' | 'uncertainBand' | 'higherIsCloser'>;
  readonly detect: DetectConfig;
  readonly crop: FaceCrop;
  readonly faceCheck?: number;
}

/**
 * Finds every face in each photo with the verifier's cascade, crops it both ways, runs the verifier's face
 * check and embeds the faces that pass together (`embedCrops`; with `mirror`, their flipped crops too).
 */
export async function groupPhotoFaces(files: readonly string[], verifier: GroupVerifier, options: { readonly mirror?: boolean } = {}): Promise<GroupPhoto[]> {
  const size = verifier.embedder.inputSize;
  const photos: { file: string; name: string; image: DecodedImage; faces: Omit<GroupFace, 'embedding' | 'mirrorEmbedding'>[] }[] = [];
  for (const file of files) {
    const { image } = await readPhoto(file, verifier.detect.maxSide);
    const found = (await detectFaces(image, verifier.detect)).sort((a, b) => a.box.left - b.box.left);
    const name = path.basename(file, path.extname(file));
    const faces = [];
    for (const [i, face] of found.entries()) {
      const chip = await cropFoundFace(image, face, size, verifier.detect, 'chip');
      const box = await cropFoundFace(image, face, size, verifier.detect, 'box');
      const faceCheck = verifier.faceCheck === undefined ? undefined : checkLandmarks(face.landmarks, verifier.faceCheck);
      faces.push({ photo: name, index: i + 1, label: `${name}#${i + 1}`, face, chip, box, ...(faceCheck ? { faceCheck } : {}) });
    }
    photos.push({ file, name, image, faces });
  }
  return embedGroupFaces(photos, verifier, options);
}

/**
 * Embeds the faces of `photos` that pass the face check with `verifier`'s embedder and crop (with `mirror`, their
 * flipped crops too), replacing any embeddings they had: the same faces described by another model.
 */
export async function embedGroupFaces(photos: readonly (Omit<GroupPhoto, 'faces'> & { readonly faces: readonly Omit<GroupFace, 'embedding' | 'mirrorEmbedding'>[] })[],
  verifier: Pick<GroupVerifier, 'embedder' | 'crop'>, options: { readonly mirror?: boolean } = {}): Promise<GroupPhoto[]> {
  const used = photos.flatMap((p) => p.faces).filter((f) => f.faceCheck?.isFace ?? true);
  const crops = used.map((f) => (verifier.crop === 'box' ? f.box : f.chip));
  const embeddings = await embedCrops(verifier.embedder, options.mirror ? [...crops, ...crops.map(mirrorImage)] : crops);
  const byFace = new Map(used.map((f, i) => [f, { embedding: embeddings[i], ...(options.mirror ? { mirrorEmbedding: embeddings[used.length + i] } : {}) }]));
  return photos.map((p) => ({ ...p, faces: p.faces.map((f) => {
    const { embedding: _e, mirrorEmbedding: _m, ...rest } = f as GroupFace;
    return { ...rest, ...byFace.get(f) };
  }) }));
}

/** What is known about a pair of faces. */
export type PairTruth = 'same' | 'different' | 'unknown';

/** One pair of faces: what is known about it, its distance and, only when the truth is known, a verdict. */
export interface GroupPair {
  readonly a: GroupFace;
  readonly b: GroupFace;
  /** `b` is `a` flipped left-right. */
  readonly mirror: boolean;
  readonly truth: PairTruth;
  /** Why the truth is what it is, in words. */
  readonly why: string;
  /** The distance (absent when a face was rejected by the face check). */
  readonly value?: number;
  /** Only for known truth: the verifier's answer (`not-a-face` when the face check rejected either face). */
  readonly decision?: Verdict['decision'];
}

/** Why a pair's truth is what it is. */
export const TRUTH_WHY: Readonly<Record<'mirror' | 'same-photo' | 'other-photo', string>> = Object.freeze({
  mirror: 'a face and its own mirror image: the same person (a weak positive: same photo, pose and light)',
  'same-photo': 'two faces in one photo: two different people',
  'other-photo': 'faces from different photos: nobody here knows',
});

/**
 * Every pair of faces across the photos (and, with `mirror`, each face with its mirror image), labelled with
 * what is known; verdicts by the settings' threshold and uncertain band for the known ones only.
 */
export function groupPairs(photos: readonly GroupPhoto[], compare: (a: readonly number[], b: readonly number[]) => number,
  settings: Pick<VerifyModelSettings, 'threshold' | 'uncertainBand' | 'higherIsCloser'>, options: { readonly mirror?: boolean } = {}): GroupPair[] {
  const all = photos.flatMap((p) => p.faces);
  const known = (a: GroupFace, b: GroupFace, value: number | undefined, truth: 'same' | 'different', mirror: boolean): GroupPair => ({
    a, b, mirror, truth, why: TRUTH_WHY[mirror ? 'mirror' : 'same-photo'], ...(value === undefined ? { decision: 'not-a-face' } : { value, decision: decide(value, settings) }),
  });
  const out: GroupPair[] = [];
  for (let i = 0; i < all.length; i++) {
    const a = all[i];
    if (options.mirror) out.push(known(a, a, a.embedding && a.mirrorEmbedding ? compare(a.embedding, a.mirrorEmbedding) : undefined, 'same', true));
    for (let j = i + 1; j < all.length; j++) {
      const b = all[j];
      const value = a.embedding && b.embedding ? compare(a.embedding, b.embedding) : undefined;
      if (a.photo === b.photo) out.push(known(a, b, value, 'different', false));
      else out.push({ a, b, mirror: false, truth: 'unknown', why: TRUTH_WHY['other-photo'], ...(value === undefined ? {} : { value }) });
    }
  }
  return out;
}

/** Counts of one kind of known pair: how many, answered right, wrong, uncertain, and without an answer (not a face). */
export interface KnownCounts {
  readonly pairs: number;
  readonly right: number;
  readonly wrong: number;
  readonly uncertain: number;
  readonly notAFace: number;
}

/** The verdicts on known pairs counted by truth; unknown pairs only counted (never scored). */
export function groupSummary(pairs: readonly GroupPair[]): { same: KnownCounts; different: KnownCounts; unknown: number } {
  const count = (truth: 'same' | 'different'): KnownCounts => {
    const ps = pairs.filter((p) => p.truth === truth);
    return {
      pairs: ps.length,
      right: ps.filter((p) => p.decision === truth).length,
      wrong: ps.filter((p) => p.decision === (truth === 'same' ? 'different' : 'same')).length,
      uncertain: ps.filter((p) => p.decision === 'uncertain').length,
      notAFace: ps.filter((p) => p.decision === 'not-a-face' || p.decision === 'no-face').length,
    };
  };
  return { same: count('same'), different: count('different'), unknown: pairs.filter((p) => p.truth === 'unknown').length };
}

/** Table rows for pairs: the two faces, what is known, the distance, and a verdict and whether it is right only when known. */
export function groupTableRows(pairs: readonly GroupPair[]): Record<string, string>[] {
  return pairs.map((p) => ({
    a: p.a.label,
    b: p.mirror ? `${p.b.label} mirrored` : p.b.label,
    truth: p.truth === 'unknown' ? 'unknown' : `${p.truth} (known)`,
    distance: p.value === undefined ? '-' : p.value.toFixed(3),
    verdict: p.decision ?? '- (truth unknown: not scored)',
    right: p.truth === 'unknown' || (p.decision !== 'same' && p.decision !== 'different') ? '-' : p.decision === p.truth ? 'yes' : 'NO',
  }));
}

/**
 * The face-by-face distance matrix (no mirrors; null on the diagonal and for rejected faces), labelled `<photo>#<n>`,
 * with `blocks`, the number of faces of each photo (the known-different squares on the diagonal).
 */
export function groupMatrix(photos: readonly GroupPhoto[], pairs: readonly GroupPair[]): { labels: string[]; matrix: (number | null)[][]; blocks: number[] } {
  const labels = photos.flatMap((p) => p.faces.map((f) => f.label));
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map((): number | null => null));
  for (const p of pairs) {
    if (p.mirror || p.value === undefined) continue;
    const [i, j] = [index.get(p.a.label), index.get(p.b.label)];
    if (i === undefined || j === undefined) continue;
    matrix[i][j] = p.value;
    matrix[j][i] = p.value;
  }
  return { labels, matrix, blocks: photos.map((p) => p.faces.length) };
}

/** A face's marks on its photo: the detector's box, the 68 landmarks, its number, and whether the face check passed. */
export interface FaceMark {
  readonly box: PixelBox;
  readonly points: readonly Point2[];
  readonly label: string;
  readonly ok: boolean;
}

/** The marks of a photo's faces (for `viz.markedPhoto`). */
export function groupMarks(photo: GroupPhoto): FaceMark[] {
  return photo.faces.map((f) => ({ box: f.face.box, points: f.face.landmarks, label: String(f.index), ok: f.faceCheck?.isFace ?? true }));
}

/** The closest `n` pairs of a truth (smallest distance first; largest when higher is closer). */
export function closestPairs(pairs: readonly GroupPair[], truth: PairTruth, n: number, higherIsCloser = false): GroupPair[] {
  return pairs.filter((p) => p.truth === truth && p.value !== undefined)
    .sort((x, y) => (higherIsCloser ? y.value! - x.value! : x.value! - y.value!)).slice(0, n);
}

/** {@link groupSummary} in words (a markdown list): the known pairs with their verdict counts, the unknown ones only counted. */
export function describeGroupSummary(s: { same: KnownCounts; different: KnownCounts; unknown: number }, settings: Pick<VerifyModelSettings, 'threshold' | 'uncertainBand'>): string {
  const counts = (k: KnownCounts, word: string): string => `**${k.right} right** ("${word}"), ${k.wrong} wrong, ${k.uncertain} uncertain, ${k.notAFace} without an answer (a face the face check rejected)`;
  const lines = [`- **Known different** (two faces in one photo): ${s.different.pairs} pairs: ${counts(s.different, 'DIFFERENT')}.`];
  if (s.same.pairs > 0) lines.push(`- **Known same, a weak positive** (a face and its own mirror image): ${s.same.pairs} pairs: ${counts(s.same, 'SAME')}.`);
  lines.push(`- **Truth unknown** (faces from different photos): ${s.unknown} pairs: distances only, no verdict scored.`);
  lines.push(`- Threshold ${settings.threshold.toFixed(3)}, uncertain within ±${settings.uncertainBand.toFixed(3)} (committed in lib/faces/verify-threshold.json).`);
  return lines.join('\n');
}
