/**
 * IEEE 754 half precision, to store weights at half their size in tfjs weight files: a manifest entry
 * `{ dtype: 'float32', quantization: { dtype: 'float16' } }` holds these bits, and tfjs's own
 * `tf.io.decodeWeights` turns them back into float32.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One float32 as float16 bits, rounded to the nearest (ties to even); beyond 65504 it is ±Infinity, NaN stays NaN. */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  let h: number;
  let rem: number;
  let half: number;
  if (e <= 0) {
    // a float16 subnormal (h x 2^-24), or zero
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    h = mant >>> shift;
    rem = mant & ((1 << shift) - 1);
    half = 1 << (shift - 1);
  } else {
    h = (e << 10) | (mant >>> 13);
    rem = mant & 0x1fff;
    half = 0x1000;
  }
  // a carry out of the mantissa moves to the next exponent (to Infinity past the largest), as it should
  if (rem > half || (rem === half && (h & 1))) h++;
  return sign | h;
}

/** Float32 values as float16 bits ({@link float16Bits}). */
export function toFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]);
  return out;
}
