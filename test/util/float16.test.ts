import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { float16Bits, toFloat16 } from '../../lib/util/float16';
import { Rng } from '../../lib/util/rng';

/** tfjs's own float16 decoding, as a weights file is read. */
function decode(bits: Uint16Array): Float32Array {
  const buf = bits.buffer.slice(bits.byteOffset, bits.byteOffset + bits.byteLength) as ArrayBuffer;
  const t = tf.io.decodeWeights(buf, [{ name: 'w', shape: [bits.length], dtype: 'float32', quantization: { dtype: 'float16' } }]).w;
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return out;
}

describe('float16: weights stored at half precision', () => {
  it('encodes the landmark values exactly, rounding ties to even', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00], [-Infinity, 0xfc00],
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -26, 0x0001], [1e-9, 0x0000],
      [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [1 + 2 ** -10, 0x3c01],
    ];
    for (const [v, bits] of cases) assert.equal(float16Bits(v), bits, `${v}: got 0x${float16Bits(v).toString(16)}, want 0x${bits.toString(16)}`);
    assert.equal(float16Bits(NaN) & 0x7c00, 0x7c00);
    assert.ok((float16Bits(NaN) & 0x3ff) !== 0, 'NaN stays NaN');
  });

  it("tfjs's decoder reads the bits back within half a float16 step (relative 2^-11), subnormals within 2^-25", () => {
    const r = new Rng(5);
    const values = Float32Array.from({ length: 5000 }, (_, i) => r.normal() * 10 ** ((i % 12) - 8));
    const back = decode(toFloat16(values));
    for (let i = 0; i < values.length; i++) {
      const err = Math.abs(back[i] - values[i]);
      assert.ok(err <= Math.max(Math.abs(values[i]) * 2 ** -11, 2 ** -25), `${values[i]} came back as ${back[i]}`);
    }
  });
});
