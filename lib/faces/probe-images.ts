/**
 * Generated probe images for the face check and the detection cascade, shared by the tests and
 * `bench/face-check.ts`: families of non-faces made procedurally (each deterministic in its seed), and tight
 * face crops cut from LFW-style photos (small, odd aspect ratios, grey or colour).
 *
 * Non-face families:
 * - `gradients`: linear and radial colour gradients, sometimes banded;
 * - `noise`: white noise and smooth value noise (clouds), colour or grey;
 * - `text`: words rendered by sharp from SVG, in several fonts, sizes, colours and angles;
 * - `shapes`: objects drawn as SVG: circles, ellipses, rectangles, polygons, lines, on a plain or graded ground;
 * - `landscapes`: sky, sun, mountain ridges (midpoint displacement) and ground;
 * - `patterns`: stripes, checkerboards, dots and tilings.
 *
 * A face check is fitted on one family and tested on the others, so it is not tuned to what it is tested on.
 */
import sharp from 'sharp';
import type { DecodedImage } from '../data/types';
import { createRng, type Rng } from '../util/rng';

export const NON_FACE_FAMILIES = ['gradients', 'noise', 'text', 'shapes', 'landscapes', 'patterns'] as const;
export type NonFaceFamily = typeof NON_FACE_FAMILIES[number];

/** Checks a family name; errors name the value and the choices. */
export function parseNonFaceFamily(value: string): NonFaceFamily {
  if ((NON_FACE_FAMILIES as readonly string[]).includes(value)) return value as NonFaceFamily;
  throw new RangeError(`unknown non-face family ${JSON.stringify(value)}; use one of ${NON_FACE_FAMILIES.join(', ')}`);
}

const clamp8 = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
const colour = (rng: Rng): [number, number, number] => [rng.int(256), rng.int(256), rng.int(256)];
const hex = (c: readonly number[]): string => `#${c.map((v) => clamp8(v).toString(16).padStart(2, '0')).join('')}`;

function fromPixels(width: number, height: number, f: (x: number, y: number) => readonly number[]): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = f(x, y);
      data[(y * width + x) * 3] = clamp8(v[0]);
      data[(y * width + x) * 3 + 1] = clamp8(v[1]);
      data[(y * width + x) * 3 + 2] = clamp8(v[2]);
    }
  }
  return { data, width, height, channels: 3 };
}

async function fromSvg(svg: string, width: number, height: number): Promise<DecodedImage> {
  const { data, info } = await sharp(Buffer.from(svg)).resize(width, height, { fit: 'fill' }).flatten({ background: '#ffffff' })
    .toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`SVG rendered with ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}

function gradient(rng: Rng, w: number, h: number): DecodedImage {
  const a = colour(rng);
  const b = colour(rng);
  const radial = rng.bool(0.4);
  const angle = rng.uniform(0, 2 * Math.PI);
  const bands = rng.bool(0.3) ? 2 + rng.int(6) : 0;
  const cx = rng.uniform(0, w);
  const cy = rng.uniform(0, h);
  return fromPixels(w, h, (x, y) => {
    let t = radial ? Math.hypot(x - cx, y - cy) / Math.hypot(w, h)
      : ((x - w / 2) * Math.cos(angle) + (y - h / 2) * Math.sin(angle)) / Math.hypot(w, h) + 0.5;
    t = Math.max(0, Math.min(1, t));
    if (bands) t = Math.floor(t * bands) / bands;
    return [0, 1, 2].map((c) => a[c] * (1 - t) + b[c] * t);
  });
}

function noise(rng: Rng, w: number, h: number): DecodedImage {
  const grey = rng.bool(0.3);
  const cell = rng.pick([1, 1, 4, 8, 16, 32]);
  const gw = Math.ceil(w / cell) + 2;
  const gh = Math.ceil(h / cell) + 2;
  const grid = Array.from({ length: gw * gh }, () => (grey ? [rng.int(256)] : colour(rng)));
  const at = (gx: number, gy: number, c: number): number => { const v = grid[gy * gw + gx]; return v[grey ? 0 : c]; };
  return fromPixels(w, h, (x, y) => {
    const fx = x / cell;
    const fy = y / cell;
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const tx = fx - x0;
    const ty = fy - y0;
    const sx = tx * tx * (3 - 2 * tx);
    const sy = ty * ty * (3 - 2 * ty);
    return [0, 1, 2].map((c) => (at(x0, y0, c) * (1 - sx) + at(x0 + 1, y0, c) * sx) * (1 - sy) + (at(x0, y0 + 1, c) * (1 - sx) + at(x0 + 1, y0 + 1, c) * sx) * sy);
  });
}

const WORDS = ['face', 'hello', 'LFW', 'Siamese', 'network', 'tensor', 'verify', 'quick brown fox', 'lorem ipsum', 'OPEN', 'EXIT', '42', 'data', 'photo', 'STOP', 'Ünïcode', 'x = y + 1', 'café'];
const FONTS = ['sans-serif', 'serif', 'monospace'];

async function text(rng: Rng, w: number, h: number): Promise<DecodedImage> {
  const bg = colour(rng);
  const lines = 1 + rng.int(4);
  const items: string[] = [];
  for (let i = 0; i < lines; i++) {
    const size = Math.round(h * rng.uniform(0.1, 0.35));
    const word = rng.pick(WORDS).replace(/&/g, '&amp;').replace(/</g, '&lt;');
    const fg = bg.map((v) => (v + 128 + rng.int(64) - 32) % 256);
    items.push(`<text x="${Math.round(rng.uniform(0, w * 0.3))}" y="${Math.round(((i + 1) / (lines + 0.5)) * h)}" font-family="${rng.pick(FONTS)}" font-size="${size}" font-weight="${rng.pick(['normal', 'bold'])}" fill="${hex(fg)}" transform="rotate(${rng.uniform(-20, 20).toFixed(1)} ${w / 2} ${h / 2})">${word}</text>`);
  }
  return fromSvg(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="${hex(bg)}"/>${items.join('')}</svg>`, w, h);
}

async function shapes(rng: Rng, w: number, h: number): Promise<DecodedImage> {
  const parts: string[] = [];
  const bg = colour(rng);
  parts.push(rng.bool() ? `<rect width="100%" height="100%" fill="${hex(bg)}"/>`
    : `<defs><linearGradient id="g" x1="0" y1="0" x2="${rng.float().toFixed(2)}" y2="1"><stop offset="0" stop-color="${hex(bg)}"/><stop offset="1" stop-color="${hex(colour(rng))}"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>`);
  const n = 1 + rng.int(7);
  for (let i = 0; i < n; i++) {
    const fill = hex(colour(rng));
    const x = rng.uniform(0, w);
    const y = rng.uniform(0, h);
    const s = rng.uniform(0.08, 0.5) * Math.min(w, h);
    switch (rng.int(5)) {
      case 0: parts.push(`<circle cx="${x}" cy="${y}" r="${s / 2}" fill="${fill}"/>`); break;
      case 1: parts.push(`<ellipse cx="${x}" cy="${y}" rx="${s / 2}" ry="${s * rng.uniform(0.2, 0.9)}" fill="${fill}" transform="rotate(${rng.int(180)} ${x} ${y})"/>`); break;
      case 2: parts.push(`<rect x="${x - s / 2}" y="${y - s / 2}" width="${s}" height="${s * rng.uniform(0.3, 1.5)}" fill="${fill}" transform="rotate(${rng.int(90)} ${x} ${y})"/>`); break;
      case 3: {
        const k = 3 + rng.int(5);
        const pts = Array.from({ length: k }, (_, j) => {
          const t = (j / k) * 2 * Math.PI;
          const r = (s / 2) * rng.uniform(0.5, 1);
          return `${(x + r * Math.cos(t)).toFixed(1)},${(y + r * Math.sin(t)).toFixed(1)}`;
        });
        parts.push(`<polygon points="${pts.join(' ')}" fill="${fill}"/>`);
        break;
      }
      default: parts.push(`<line x1="${x}" y1="${y}" x2="${rng.uniform(0, w)}" y2="${rng.uniform(0, h)}" stroke="${fill}" stroke-width="${1 + rng.int(8)}"/>`);
    }
  }
  return fromSvg(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`, w, h);
}

/** A ridge line by midpoint displacement: heights (0..1 of the image) at `n` + 1 points. */
function ridge(rng: Rng, n: number, base: number, rough: number): number[] {
  const hs = new Array<number>(n + 1).fill(0);
  hs[0] = base + rng.uniform(-rough, rough);
  hs[n] = base + rng.uniform(-rough, rough);
  for (let step = n; step > 1; step = Math.floor(step / 2)) {
    const amp = rough * (step / n);
    for (let i = 0; i + step <= n; i += step) {
      const mid = i + Math.floor(step / 2);
      hs[mid] = (hs[i] + hs[i + step]) / 2 + rng.uniform(-amp, amp);
    }
  }
  return hs;
}

function landscape(rng: Rng, w: number, h: number): DecodedImage {
  const skyTop = colour(rng).map((v, c) => (c === 2 ? 150 + v / 3 : v / 2));
  const skyLow = [200 + rng.int(55), 180 + rng.int(75), 160 + rng.int(95)];
  const sun = rng.bool(0.6) ? { x: rng.uniform(0, w), y: rng.uniform(0, h * 0.4), r: rng.uniform(0.03, 0.1) * w, c: [255, 220 + rng.int(35), 100 + rng.int(120)] } : null;
  const layers = 1 + rng.int(3);
  const n = 64;
  const ridges = Array.from({ length: layers }, (_, i) => ({
    hs: ridge(rng, n, 0.35 + 0.15 * i + rng.uniform(-0.05, 0.05), 0.2),
    c: [30 + rng.int(60) + 30 * i, 60 + rng.int(80), 40 + rng.int(60)].map((v) => v * (1 - 0.15 * (layers - 1 - i))),
  }));
  const ground = [60 + rng.int(80), 100 + rng.int(80), 30 + rng.int(50)];
  const groundLine = 0.75 + rng.uniform(-0.1, 0.1);
  return fromPixels(w, h, (x, y) => {
    const fy = y / h;
    if (fy > groundLine) return ground.map((v) => v * (0.8 + 0.2 * ((x * 7 + y * 13) % 5) / 5));
    for (let i = layers - 1; i >= 0; i--) {
      const fx = (x / w) * n;
      const j = Math.min(n - 1, Math.floor(fx));
      const top = ridges[i].hs[j] * (1 - (fx - j)) + ridges[i].hs[j + 1] * (fx - j);
      if (fy > top) return ridges[i].c;
    }
    if (sun && Math.hypot(x - sun.x, y - sun.y) < sun.r) return sun.c;
    return [0, 1, 2].map((c) => skyTop[c] * (1 - fy) + skyLow[c] * fy);
  });
}

function pattern(rng: Rng, w: number, h: number): DecodedImage {
  const a = colour(rng);
  const b = colour(rng);
  const period = 4 + rng.int(40);
  const kind = rng.int(4);
  const angle = rng.uniform(0, Math.PI);
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  return fromPixels(w, h, (x, y) => {
    const u = x * ca + y * sa;
    const v = -x * sa + y * ca;
    let on: boolean;
    if (kind === 0) on = Math.floor(u / period) % 2 === 0;
    else if (kind === 1) on = (Math.floor(u / period) + Math.floor(v / period)) % 2 === 0;
    else if (kind === 2) on = Math.hypot(((u % period) + period) % period - period / 2, ((v % period) + period) % period - period / 2) < period / 3;
    else on = Math.sin(u / period * 2) * Math.sin(v / period * 3) > 0.2;
    return on ? a : b;
  });
}

/** Sizes the non-faces come in (width x height): square, wide and tall, small and large. */
const SIZES: readonly [number, number][] = [[150, 150], [250, 250], [96, 96], [320, 200], [200, 320], [64, 64], [400, 300]];

/** One non-face of `family`, drawn with `rng` (size from `rng` unless given). */
export async function nonFace(family: NonFaceFamily, rng: Rng, size?: { width: number; height: number }): Promise<DecodedImage> {
  const [w, h] = size ? [size.width, size.height] : rng.pick(SIZES);
  switch (family) {
    case 'gradients': return gradient(rng, w, h);
    case 'noise': return noise(rng, w, h);
    case 'text': return text(rng, w, h);
    case 'shapes': return shapes(rng, w, h);
    case 'landscapes': return landscape(rng, w, h);
    case 'patterns': return pattern(rng, w, h);
  }
}

/** `n` non-faces of `family`, the same for the same seed. */
export async function nonFaces(family: NonFaceFamily, n: number, seed: number | string = 0): Promise<DecodedImage[]> {
  const rng = createRng(`non-face:${family}:${seed}`);
  const out: DecodedImage[] = [];
  for (let i = 0; i < n; i++) out.push(await nonFace(family, rng.fork(String(i))));
  return out;
}

/** How a tight crop was cut. */
export interface TightCropSpec {
  /** Crop width and height as fractions of the photo's side, around its centre (plus `jitter`). */
  readonly width: number;
  readonly height: number;
  /** Centre offset, as a fraction of the photo's side. */
  readonly dx: number;
  readonly dy: number;
  /** Longer side of the result, in pixels. */
  readonly longSide: number;
  readonly grey: boolean;
}

/**
 * A random tight-crop recipe for a face centred in its photo (LFW: 250 x 250, the face about 0.45 of the
 * side): the face fills the frame: the shorter side 0.38-0.55 of the photo's side, the longer one 1-1.6 times
 * that (wide or tall at random), the centre moved by up to 3 %; both sides of the result within 48-128 px;
 * a third of them grey.
 */
export function tightCropSpec(rng: Rng): TightCropSpec {
  const short = rng.uniform(0.38, 0.55);
  const ratio = Math.exp(rng.uniform(0, Math.log(1.6)));
  const long = Math.min(0.9, short * ratio);
  const [width, height] = rng.bool() ? [long, short] : [short, long];
  const longSide = Math.max(48 + rng.int(81), Math.ceil((48 * long) / short));
  return { width, height, dx: rng.uniform(-0.03, 0.03), dy: rng.uniform(-0.03, 0.03), longSide, grey: rng.bool(1 / 3) };
}

/** Cuts `spec` from an encoded photo (any format sharp reads); returns PNG bytes (grey crops as 1-channel PNGs). */
export async function tightCrop(photo: Buffer | string, spec: TightCropSpec): Promise<Buffer> {
  const img = sharp(photo);
  const meta = await img.metadata();
  const W = meta.width!;
  const H = meta.height!;
  const side = Math.min(W, H);
  const cw = Math.max(8, Math.round(spec.width * side));
  const ch = Math.max(8, Math.round(spec.height * side));
  const left = Math.max(0, Math.min(W - cw, Math.round(W / 2 + spec.dx * side - cw / 2)));
  const top = Math.max(0, Math.min(H - ch, Math.round(H / 2 + spec.dy * side - ch / 2)));
  const k = spec.longSide / Math.max(cw, ch);
  let out = sharp(photo).extract({ left, top, width: cw, height: ch }).resize(Math.max(1, Math.round(cw * k)), Math.max(1, Math.round(ch * k)), { fit: 'fill' });
  if (spec.grey) out = out.greyscale();
  return out.png().toBuffer();
}
