/**
 * What makes a synthetic person that person (`FaceIdentity`, fixed for all their images) and what changes
 * from one photo to the next (`FaceVariation`, drawn per image). Both are plain JSON data drawn from an
 * `Rng`, so the renderer is a pure function of (identity, variation, size, noise rng).
 *
 * Identity traits (stable per person):
 * - face shape (oval, round, square, long, heart) with its own width, length, jaw and chin widths;
 * - skin tone (a light-to-dark palette with a small hue jitter) and ear size;
 * - eyes: shape (round, almond, narrow), size, spacing, height, tilt and iris colour;
 * - eyebrows: thickness, arch, tilt, length and distance above the eye;
 * - nose: style (straight, button, wide), length and width;
 * - mouth: width, height on the face, lip thickness and lip colour;
 * - hair: style (bald, buzz, short, side part, spiky, bob, long, curly, bun), colour, volume, hairline
 *   and parting side;
 * - extras: glasses (round or rectangular frames with a frame colour, about 1 in 4 people), facial hair
 *   (stubble, moustache, goatee or full beard, about 1 in 3), a mole at a fixed spot (about 1 in 3).
 *
 * Per-image variation: position (shift), scale, roll (in-plane rotation), yaw and pitch (features slide
 * across the face as if the head turned), expression (smile or frown, open mouth, raised or lowered
 * brows, eye openness and gaze), clothing colour, background (a two-colour gradient plus random shapes),
 * lighting (overall brightness, a directional gradient, colour tint, contrast), blur and sensor noise.
 * All variation ranges are scaled by `difficulty` (1 = the default set).
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import type { Rng } from '../../util/rng';
import { hsv, jitter, palette, type Rgb } from './colour';

export type FaceShape = 'oval' | 'round' | 'square' | 'long' | 'heart';
export type EyeShape = 'round' | 'almond' | 'narrow';
export type NoseStyle = 'straight' | 'button' | 'wide';
export type HairStyle = 'bald' | 'buzz' | 'short' | 'sidePart' | 'spiky' | 'bob' | 'long' | 'curly' | 'bun';
export type FacialHair = 'none' | 'stubble' | 'moustache' | 'goatee' | 'full';
export type GlassesStyle = 'none' | 'round' | 'rect';

export const FACE_SHAPES: readonly FaceShape[] = ['oval', 'round', 'square', 'long', 'heart'];
export const EYE_SHAPES: readonly EyeShape[] = ['round', 'almond', 'narrow'];
export const NOSE_STYLES: readonly NoseStyle[] = ['straight', 'button', 'wide'];
export const HAIR_STYLES: readonly HairStyle[] = ['bald', 'buzz', 'short', 'sidePart', 'spiky', 'bob', 'long', 'curly', 'bun'];

/** The traits of one synthetic person; every image of them is drawn from these. Lengths are in units of a 100-unit canvas. */
export interface FaceIdentity {
  face: {
    shape: FaceShape;
    /** Half-width of the face. */
    width: number;
    /** Half-length of the face. */
    length: number;
    /** Temple, jaw and chin widths as fractions of the half-width. */
    temple: number;
    jaw: number;
    chin: number;
  };
  skin: Rgb;
  earSize: number;
  eyes: { shape: EyeShape; size: number; spacing: number; height: number; tilt: number; iris: Rgb };
  brows: { thickness: number; arch: number; tilt: number; length: number; gap: number };
  nose: { style: NoseStyle; length: number; width: number };
  mouth: { width: number; height: number; lip: number; colour: Rgb };
  hair: { style: HairStyle; colour: Rgb; volume: number; hairline: number; part: -1 | 1; curls: Array<[number, number, number]> };
  glasses: { style: GlassesStyle; colour: Rgb; size: number };
  facialHair: FacialHair;
  /** A mole in face coordinates (fractions of half-width and half-length), or null. */
  mole: [number, number] | null;
}

/** How one photo of a person differs from the others. */
export interface FaceVariation {
  /** Shift of the head as a fraction of the image size. */
  dx: number;
  dy: number;
  scale: number;
  /** In-plane rotation in degrees. */
  roll: number;
  /** Head turn, in degrees: positive turns the face to the viewer's right. */
  yaw: number;
  pitch: number;
  smile: number;
  mouthOpen: number;
  browRaise: number;
  eyeOpen: number;
  gaze: number;
  clothing: Rgb;
  background: { from: Rgb; to: Rgb; angle: number; shapes: BackgroundShape[] };
  light: { brightness: number; strength: number; angle: number; tint: [number, number, number]; contrast: number };
  blur: number;
  noise: number;
}

/** A piece of background clutter, in canvas units. */
export interface BackgroundShape {
  kind: 'rect' | 'circle' | 'stripe' | 'triangle';
  x: number;
  y: number;
  w: number;
  h: number;
  rotate: number;
  colour: Rgb;
  opacity: number;
}

const SKIN_TONES: readonly Rgb[] = [
  [255, 226, 200], [240, 196, 160], [224, 172, 128], [196, 136, 96], [160, 104, 68], [120, 78, 50], [86, 56, 38],
];
const HAIR_COLOURS: readonly Rgb[] = [
  [28, 24, 22], [58, 40, 28], [100, 66, 40], [150, 108, 66], [214, 178, 108], [236, 220, 176], [140, 56, 28],
  [196, 98, 44], [140, 140, 138], [222, 222, 216],
];
const IRIS_COLOURS: readonly Rgb[] = [[92, 56, 30], [48, 32, 22], [64, 118, 184], [74, 132, 82], [120, 132, 146], [140, 108, 56]];
const FRAME_COLOURS: readonly Rgb[] = [[20, 20, 20], [92, 56, 30], [196, 160, 60], [170, 30, 40], [40, 70, 160], [180, 180, 190]];

/**
 * Draws one person's traits.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export function sampleIdentity(rng: Rng): FaceIdentity {
  const shape = rng.pick(FACE_SHAPES);
  const base = {
    oval: { w: 1, l: 1, temple: 0.84, jaw: 0.8, chin: 0.36 },
    round: { w: 1.1, l: 0.92, temple: 0.9, jaw: 0.92, chin: 0.52 },
    square: { w: 1.06, l: 0.98, temple: 0.95, jaw: 0.98, chin: 0.62 },
    long: { w: 0.9, l: 1.1, temple: 0.84, jaw: 0.78, chin: 0.38 },
    heart: { w: 1.02, l: 1, temple: 1, jaw: 0.68, chin: 0.24 },
  }[shape];
  const skin = jitter(palette(SKIN_TONES, rng.float()), 8, rng);
  const hairStyle = rng.pick(HAIR_STYLES);
  // Grey and white hair are rarer; dyed colours do not occur.
  const hairColour = jitter(HAIR_COLOURS[rng.bool(0.85) ? rng.int(8) : 8 + rng.int(2)], 10, rng);
  const curls: Array<[number, number, number]> = [];
  if (hairStyle === 'curly') {
    for (let i = 0; i < 26; i++) curls.push([rng.uniform(-1, 1), rng.uniform(0, 1), rng.uniform(0.8, 1.2)]);
  }
  const facialHairRoll = rng.float();
  const facialHair: FacialHair = facialHairRoll < 0.66 ? 'none' : rng.pick(['stubble', 'moustache', 'goatee', 'full'] as const);
  const glassesStyle: GlassesStyle = rng.bool(0.25) ? rng.pick(['round', 'rect'] as const) : 'none';
  return {
    face: {
      shape,
      width: 20 * base.w * rng.uniform(0.93, 1.07),
      length: 26 * base.l * rng.uniform(0.94, 1.06),
      temple: base.temple * rng.uniform(0.95, 1.05),
      jaw: base.jaw * rng.uniform(0.94, 1.06),
      chin: base.chin * rng.uniform(0.85, 1.15),
    },
    skin,
    earSize: rng.uniform(0.8, 1.2),
    eyes: {
      shape: rng.pick(EYE_SHAPES),
      size: rng.uniform(0.8, 1.25),
      spacing: rng.uniform(0.36, 0.5),
      height: rng.uniform(0.1, 0.26),
      tilt: rng.uniform(-8, 10),
      iris: jitter(rng.pick(IRIS_COLOURS), 12, rng),
    },
    brows: {
      thickness: rng.uniform(0.7, 2.3),
      arch: rng.uniform(0, 2.6),
      tilt: rng.uniform(-1.6, 1.6),
      length: rng.uniform(0.8, 1.25),
      gap: rng.uniform(3, 5.5),
    },
    nose: { style: rng.pick(NOSE_STYLES), length: rng.uniform(0.8, 1.2), width: rng.uniform(0.8, 1.3) },
    mouth: {
      width: rng.uniform(0.75, 1.25),
      height: rng.uniform(0.46, 0.6),
      lip: rng.uniform(0.6, 1.5),
      colour: jitter([skin[0] * 0.78 + 40, skin[1] * 0.55, skin[2] * 0.55], 10, rng),
    },
    hair: {
      style: hairStyle,
      colour: hairColour,
      volume: rng.uniform(2, 6),
      hairline: rng.uniform(0.52, 0.72),
      part: rng.bool() ? 1 : -1,
      curls,
    },
    glasses: { style: glassesStyle, colour: rng.pick(FRAME_COLOURS), size: rng.uniform(0.9, 1.15) },
    facialHair,
    mole: rng.bool(0.33) ? [rng.uniform(-0.7, 0.7), rng.uniform(-0.2, 0.7)] : null,
  };
}

/**
 * Draws one photo's pose, expression, scene and camera; every range is scaled by `difficulty`.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export function sampleVariation(rng: Rng, difficulty: number): FaceVariation {
  const d = difficulty;
  const spread = (r: number): number => rng.uniform(-r, r) * d;
  const shapes: BackgroundShape[] = [];
  const nShapes = Math.round(rng.uniform(2, 10) * Math.min(d, 1.5));
  for (let i = 0; i < nShapes; i++) {
    shapes.push({
      kind: rng.pick(['rect', 'circle', 'stripe', 'triangle'] as const),
      x: rng.uniform(-10, 110),
      y: rng.uniform(-10, 110),
      w: rng.uniform(8, 45),
      h: rng.uniform(8, 45),
      rotate: rng.uniform(0, 180),
      colour: hsv(rng.uniform(0, 360), rng.uniform(0, 0.8), rng.uniform(0.15, 1)),
      opacity: rng.uniform(0.45, 1),
    });
  }
  const bgHue = rng.uniform(0, 360);
  return {
    dx: spread(0.1),
    dy: spread(0.08),
    scale: 1 + spread(0.14),
    roll: spread(15),
    yaw: spread(26),
    pitch: spread(10),
    smile: rng.uniform(-0.5, 1),
    mouthOpen: rng.bool(0.3) ? rng.uniform(0.2, 1) : 0,
    browRaise: rng.uniform(-1, 1),
    eyeOpen: rng.bool(0.05) ? 0.2 : rng.uniform(0.6, 1.05),
    gaze: rng.uniform(-0.3, 0.3),
    clothing: hsv(rng.uniform(0, 360), rng.uniform(0, 0.9), rng.uniform(0.1, 0.95)),
    background: {
      from: hsv(bgHue, rng.uniform(0, 0.7), rng.uniform(0.1, 1)),
      to: hsv(bgHue + rng.uniform(-90, 90), rng.uniform(0, 0.7), rng.uniform(0.1, 1)),
      angle: rng.uniform(0, 360),
      shapes,
    },
    light: {
      brightness: 1 + spread(0.35),
      strength: rng.uniform(0, 0.55) * d,
      angle: rng.uniform(0, 360),
      tint: [1 + spread(0.14), 1 + spread(0.14), 1 + spread(0.14)],
      contrast: 1 + spread(0.25),
    },
    blur: rng.bool(0.4) ? rng.uniform(0.3, 0.9) * d : 0,
    noise: rng.uniform(2, 8) * d,
  };
}
