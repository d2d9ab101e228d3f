/**
 * Small colour helpers for the synthetic face renderer: RGB triples in 0..255, mixing, shading and the
 * conversion to SVG's `#rrggbb`.
 */
import type { Rng } from '../../util/rng';

/** An RGB colour, each channel in 0..255. */
export type Rgb = readonly [number, number, number];

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** `#rrggbb` for SVG. */
export function hex(c: Rgb): string {
  return '#' + c.map((v) => clampByte(v).toString(16).padStart(2, '0')).join('');
}

/** Linear mix: `t = 0` gives `a`, `t = 1` gives `b`. */
export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t].map(clampByte) as unknown as Rgb;
}

/** Multiplies every channel by `f` (darker below 1, lighter above). */
export function shade(c: Rgb, f: number): Rgb {
  return [clampByte(c[0] * f), clampByte(c[1] * f), clampByte(c[2] * f)];
}

/** A point on a piecewise-linear palette, `t` in [0, 1]. */
export function palette(stops: readonly Rgb[], t: number): Rgb {
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  return mix(stops[i], stops[i + 1], x - i);
}

/** Adds independent uniform jitter of +-`amount` to each channel. */
export function jitter(c: Rgb, amount: number, rng: Rng): Rgb {
  return [clampByte(c[0] + rng.uniform(-amount, amount)), clampByte(c[1] + rng.uniform(-amount, amount)),
    clampByte(c[2] + rng.uniform(-amount, amount))];
}

/** A colour from hue (0..360), saturation and value (0..1). */
export function hsv(h: number, s: number, v: number): Rgb {
  const f = (n: number): number => {
    const k = (n + h / 60) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [clampByte(f(5) * 255), clampByte(f(3) * 255), clampByte(f(1) * 255)];
}
