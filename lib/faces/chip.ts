/**
 * dlib-style face chips: the crop dlib's ResNet face descriptor (face-api's recognition network) was
 * trained on. A similarity transform (rotation, uniform scale, translation; no shear, no reflection) is
 * fitted by least squares from dlib's mean face shape, placed on a `size`-pixel chip with `padding`, to the
 * 68 landmarks found in the photo; the chip is then sampled from the photo through that transform.
 *
 * This follows dlib's `get_face_chip_details(det, 150, 0.25)` (dlib/image_transforms/interpolation.h): the
 * mean shape covers landmarks 17-67, of which the eyebrows (17-26) and the lower lip (55-59, 65-67) are left
 * out of the fit; a mean-shape point (x, y) in [0, 1] sits at ((padding + x) / (2 padding + 1)) * size.
 *
 * Everything here is plain numbers (points, 2x3 maps, pixel arrays): no tensors, no detector.
 */

/** A point in pixels (x to the right, y down). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A similarity map x' = a x - b y + tx, y' = b x + a y + ty (scale sqrt(a² + b²), angle atan2(b, a)). */
export interface Similarity {
  readonly a: number;
  readonly b: number;
  readonly tx: number;
  readonly ty: number;
}

/** The size and padding of dlib's face recognition chips. */
export const DLIB_CHIP = Object.freeze({ size: 150, padding: 0.25 });

/** dlib's mean face shape for landmarks 17..67 (51 points), in [0, 1]. */
const MEAN_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124,
  0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
  0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
  0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
  0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
  0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
  0.553364, 0.490127, 0.42689,
];
const MEAN_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891,
  0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
  0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733,
  0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
  0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
  0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
  0.784792, 0.824182, 0.831803, 0.824182,
];

/** The landmark indices (of 68) the chip is fitted to: 27..54 and 60..64, as dlib does. */
export const CHIP_LANDMARKS: readonly number[] = Object.freeze(
  Array.from({ length: 68 }, (_, i) => i).filter((i) => i >= 27 && !(i >= 55 && i <= 59) && !(i >= 65 && i <= 67)),
);

/** Where each of `CHIP_LANDMARKS` sits on a `size`-pixel chip with `padding` (dlib's template). */
export function chipTemplate(size: number = DLIB_CHIP.size, padding: number = DLIB_CHIP.padding): Point[] {
  if (!(size > 0) || !(padding > -0.5)) throw new RangeError(`chip size must be > 0 and padding > -0.5, got ${size} and ${padding}`);
  return CHIP_LANDMARKS.map((i) => ({
    x: ((padding + MEAN_X[i - 17]) / (2 * padding + 1)) * size,
    y: ((padding + MEAN_Y[i - 17]) / (2 * padding + 1)) * size,
  }));
}

/** The full 68-point mean shape on a chip (jaw points, which dlib does not model, are NaN). */
export function meanShape68(size: number = DLIB_CHIP.size, padding: number = DLIB_CHIP.padding): Point[] {
  return Array.from({ length: 68 }, (_, i) => (i < 17 ? { x: NaN, y: NaN } : {
    x: ((padding + MEAN_X[i - 17]) / (2 * padding + 1)) * size,
    y: ((padding + MEAN_Y[i - 17]) / (2 * padding + 1)) * size,
  }));
}

/**
 * The least-squares similarity map taking `from[i]` to `to[i]` (the same minimiser as dlib's
 * find_similarity_transform / Umeyama without reflection). Needs >= 2 distinct points.
 */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  if (from.length !== to.length) throw new RangeError(`fitSimilarity: ${from.length} source points but ${to.length} targets`);
  const n = from.length;
  if (n < 2) throw new RangeError(`fitSimilarity needs at least 2 points, got ${n}`);
  let fx = 0; let fy = 0; let gx = 0; let gy = 0;
  for (let i = 0; i < n; i++) {
    if (![from[i].x, from[i].y, to[i].x, to[i].y].every(Number.isFinite)) throw new RangeError(`fitSimilarity: point ${i} is not finite`);
    fx += from[i].x; fy += from[i].y; gx += to[i].x; gy += to[i].y;
  }
  fx /= n; fy /= n; gx /= n; gy /= n;
  let ss = 0; let dot = 0; let cross = 0;
  for (let i = 0; i < n; i++) {
    const px = from[i].x - fx; const py = from[i].y - fy;
    const qx = to[i].x - gx; const qy = to[i].y - gy;
    ss += px * px + py * py;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
  }
  if (!(ss > 1e-12)) throw new RangeError('fitSimilarity: the source points all coincide');
  const a = dot / ss;
  const b = cross / ss;
  return { a, b, tx: gx - (a * fx - b * fy), ty: gy - (b * fx + a * fy) };
}

/** Applies a similarity map to a point. */
export function applySimilarity(t: Similarity, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

/** The inverse map. */
export function invertSimilarity(t: Similarity): Similarity {
  const d = t.a * t.a + t.b * t.b;
  if (!(d > 0)) throw new RangeError('invertSimilarity: the map is degenerate (scale 0)');
  const a = t.a / d; const b = -t.b / d;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/** Scale and angle (radians) of a similarity map. */
export function similarityScale(t: Similarity): number {
  return Math.hypot(t.a, t.b);
}

/**
 * The map from chip pixels to photo pixels for a face with these 68 landmarks (photo coordinates): the
 * least-squares fit of dlib's template onto the landmarks. Also returns the fit's RMS residual in chip
 * pixels, a measure of how face-like the landmark configuration is.
 */
export function chipTransform(landmarks68: readonly Point[], size: number = DLIB_CHIP.size, padding: number = DLIB_CHIP.padding): { toPhoto: Similarity; rmsChipPixels: number } {
  if (landmarks68.length !== 68) throw new RangeError(`a face chip needs the 68 landmarks, got ${landmarks68.length}`);
  const template = chipTemplate(size, padding);
  const points = CHIP_LANDMARKS.map((i) => landmarks68[i]);
  const toPhoto = fitSimilarity(template, points);
  const toChip = invertSimilarity(toPhoto);
  let sq = 0;
  points.forEach((p, i) => {
    const q = applySimilarity(toChip, p);
    sq += (q.x - template[i].x) ** 2 + (q.y - template[i].y) ** 2;
  });
  return { toPhoto, rmsChipPixels: Math.sqrt(sq / points.length) };
}

/**
 * How far a `size`-pixel chip drawn through `toPhoto` reaches outside a `width` x `height` photo, in pixels, on
 * its worst side (0 when the whole chip lies on the photo). A tight crop's chip reaches out (the chip's padding
 * of 0.25 takes in forehead, chin and background that the crop cut off).
 */
export function chipOverhang(width: number, height: number, toPhoto: Similarity, size: number = DLIB_CHIP.size): number {
  let out = 0;
  for (const [u, v] of [[-0.5, -0.5], [size - 0.5, -0.5], [-0.5, size - 0.5], [size - 0.5, size - 0.5]]) {
    const p = applySimilarity(toPhoto, { x: u, y: v });
    out = Math.max(out, -0.5 - p.x, -0.5 - p.y, p.x - (width - 0.5), p.y - (height - 0.5));
  }
  return out;
}

/** An interleaved 8-bit image (RGB: channels 3; grey: 1). */
export interface PixelImage {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/**
 * Samples a `size` x `size` chip from `image` through `toPhoto` (chip pixel centre -> photo position).
 * Bilinear; when the chip shrinks the photo by more than 1.5x, each chip pixel averages a k x k grid of
 * bilinear samples (k = ceil(scale), at most 8) so a large photo does not alias. Outside the photo is 0,
 * as in dlib.
 */
export function extractChip(image: PixelImage, toPhoto: Similarity, size: number = DLIB_CHIP.size): PixelImage & { readonly data: Uint8Array } {
  const { data, width, height, channels } = image;
  if (data.length !== width * height * channels) throw new RangeError(`extractChip: ${width}x${height}x${channels} image needs ${width * height * channels} values, got ${data.length}`);
  const out = new Uint8Array(size * size * channels);
  const scale = similarityScale(toPhoto);
  const k = scale > 1.5 ? Math.min(8, Math.ceil(scale)) : 1;
  const acc = new Float64Array(channels);
  const sample = (x: number, y: number): void => {
    if (x < -0.5 || y < -0.5 || x > width - 0.5 || y > height - 0.5) return; // outside: contributes 0
    const cx = Math.min(Math.max(x, 0), width - 1);
    const cy = Math.min(Math.max(y, 0), height - 1);
    const x0 = Math.floor(cx); const y0 = Math.floor(cy);
    const x1 = Math.min(x0 + 1, width - 1); const y1 = Math.min(y0 + 1, height - 1);
    const fx = cx - x0; const fy = cy - y0;
    for (let c = 0; c < channels; c++) {
      const v00 = data[(y0 * width + x0) * channels + c]; const v01 = data[(y0 * width + x1) * channels + c];
      const v10 = data[(y1 * width + x0) * channels + c]; const v11 = data[(y1 * width + x1) * channels + c];
      acc[c] += (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
    }
  };
  for (let r = 0; r < size; r++) {
    for (let col = 0; col < size; col++) {
      acc.fill(0);
      for (let sy = 0; sy < k; sy++) {
        for (let sx = 0; sx < k; sx++) {
          const u = col + (sx + 0.5) / k - 0.5;
          const v = r + (sy + 0.5) / k - 0.5;
          sample(toPhoto.a * u - toPhoto.b * v + toPhoto.tx, toPhoto.b * u + toPhoto.a * v + toPhoto.ty);
        }
      }
      for (let c = 0; c < channels; c++) out[(r * size + col) * channels + c] = Math.round(acc[c] / (k * k));
    }
  }
  return { data: out, width: size, height: size, channels };
}

/**
 * The fixed chip for LFW's 250 x 250 images: one similarity map for every image (the mean of dlib-style
 * chips over LFW, ../shared/FACES.md), used only when the detector misses and the caller asked for it.
 */
export const LFW_FIXED_CHIP: Readonly<Similarity> = Object.freeze({ a: 0.7722, b: -0.0110, tx: 66.79, ty: 77.39 });

/** {@link LFW_FIXED_CHIP} for an LFW-framed image `width` pixels wide (it is fitted to LFW's 250 x 250 frame). */
export function lfwFixedChipFor(width: number): Similarity {
  const k = width / 250;
  return { a: LFW_FIXED_CHIP.a * k, b: LFW_FIXED_CHIP.b * k, tx: LFW_FIXED_CHIP.tx * k, ty: LFW_FIXED_CHIP.ty * k };
}
