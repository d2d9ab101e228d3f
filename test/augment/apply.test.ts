import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  applyAugment, augmentBatch, projectiveMatrix, samplePolicy, resolvePolicy, IDENTITY_PARAMS, type AugmentParams,
} from '../../lib/augment';
import { initBackend } from '../../lib/backend';
import { Rng } from '../../lib/util/rng';
import { assertNoLeak, assertTensorsClose } from '../helpers';

const P = (over: Partial<AugmentParams>): AugmentParams => ({ ...IDENTITY_PARAMS, ...over });
const EVERYTHING = P({
  crop: { x: 0.1, y: 0.05, w: 0.8, h: 0.85 }, flip: true, scale: 1.1, rotate: 17, translateX: 0.03, translateY: -0.02,
  brightness: 1.2, contrast: 0.8, saturation: 1.3, grayscale: false, noiseStd: 0.05, noiseSeed: 9,
});

function pattern(n: number, size: number, c: number, seed = 7): tf.Tensor4D {
  return tf.randomUniform([n, size, size, c], 0, 1, 'float32', seed) as tf.Tensor4D;
}

function sameBits(a: tf.Tensor, b: tf.Tensor, what: string): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) assert.fail(`${what}: value ${i} differs (${x[i]} vs ${y[i]})`);
}

describe('projectiveMatrix', () => {
  it('is exactly the identity for identity params, and maps the centre to itself under rotation', () => {
    assert.deepEqual(projectiveMatrix(IDENTITY_PARAMS, 9, 9), [1, 0, 0, 0, 1, 0, 0, 0]);
    const m = projectiveMatrix(P({ rotate: 33, scale: 1.2 }), 9, 9);
    assert.ok(Math.abs(m[0] * 4 + m[1] * 4 + m[2] - 4) < 1e-12 && Math.abs(m[3] * 4 + m[4] * 4 + m[5] - 4) < 1e-12);
  });

  it('flips about the centre: output x reads input width-1-x', () => {
    const m = projectiveMatrix(P({ flip: true }), 6, 10);
    assert.deepEqual(m, [-1, 0, 9, 0, 1, 0, 0, 0]);
  });
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`applyAugment on ${backend}`, () => {
    before(async () => {
      await initBackend({ quiet: true });
      assert.ok(await tf.setBackend(backend), `backend ${backend} is available`);
    });

    it('identity params give the input back bit for bit, also beside augmented images in the same batch', () => {
      const x = pattern(3, 12, 3);
      const all = applyAugment(x, [IDENTITY_PARAMS, IDENTITY_PARAMS, IDENTITY_PARAMS]);
      sameBits(all, x, 'all identity');
      const mixed = applyAugment(x, [IDENTITY_PARAMS, EVERYTHING, P({ grayscale: true })]);
      for (const i of [0]) sameBits(tf.slice(mixed, i, 1), tf.slice(x, i, 1), `image ${i} beside augmented ones`);
      const other = tf.slice(mixed, 1, 1);
      assert.ok(tf.max(tf.abs(tf.sub(other, tf.slice(x, 1, 1)))).dataSync()[0] > 0.05, 'the augmented image did change');
      tf.dispose([x, all, mixed, other]);
    });

    it('a flip twice is the identity, and a flip is a mirror', () => {
      const x = pattern(2, 10, 3);
      const once = applyAugment(x, [P({ flip: true }), P({ flip: true })]);
      const twice = applyAugment(once, [P({ flip: true }), P({ flip: true })]);
      sameBits(twice, x, 'flip twice');
      const mirror = tf.reverse(x, 2);
      sameBits(once, mirror, 'flip vs tf.reverse');
      tf.dispose([x, once, twice, mirror]);
    });

    it('translation by whole pixels shifts the image; rotation by 90° turns right into up', () => {
      const x = pattern(1, 12, 1);
      const shifted = applyAugment(x, [P({ translateX: 2 / 12, translateY: 1 / 12 })], { fillMode: 'constant', fillValue: 0 });
      sameBits(tf.slice(shifted, [0, 1, 2, 0], [1, 11, 10, 1]), tf.slice(x, [0, 0, 0, 0], [1, 11, 10, 1]), 'shift by (2, 1) px');
      assert.equal(tf.sum(tf.slice(shifted, [0, 0, 0, 0], [1, 12, 2, 1])).dataSync()[0], 0, 'the uncovered columns are filled with 0');
      const b = tf.buffer([1, 11, 11, 1]);
      b.set(1, 0, 5, 9, 0); // right of the centre (5, 5)
      const dot = b.toTensor() as tf.Tensor4D;
      const turned = applyAugment(dot, [P({ rotate: 90 })], { fillMode: 'constant', fillValue: 0 });
      const v = turned.arraySync() as number[][][][];
      assert.ok(v[0][1][5][0] > 0.99, `the dot moved to row 1, column 5 (got ${v[0][1][5][0]})`);
      tf.dispose([x, shifted, dot, turned]);
    });

    it('a batch gives the same pixels as its images one at a time', () => {
      const x = pattern(4, 16, 3);
      const params = [EVERYTHING, P({ rotate: -20, scale: 0.8 }), IDENTITY_PARAMS, P({ crop: { x: 0.2, y: 0.1, w: 0.6, h: 0.7 }, flip: true })];
      const batch = applyAugment(x, params, { fillMode: 'nearest' });
      for (let i = 0; i < 4; i++) {
        const one = applyAugment(tf.slice(x, i, 1), [params[i]], { fillMode: 'nearest' });
        assertTensorsClose(tf.slice(batch, i, 1), one, 1e-6);
        one.dispose();
      }
      tf.dispose([x, batch]);
    });

    it('colour factors do what they say (brightness, contrast, grayscale)', () => {
      const x = tf.mul(pattern(1, 6, 3), 0.8) as tf.Tensor4D;
      const bright = applyAugment(x, [P({ brightness: 0.5 })]);
      assertTensorsClose(bright, tf.mul(x, 0.5), 1e-7);
      const v = Array.from(x.dataSync());
      const luma = (i: number): number => 0.299 * v[i] + 0.587 * v[i + 1] + 0.114 * v[i + 2];
      let m = 0;
      for (let i = 0; i < v.length; i += 3) m += luma(i);
      m /= v.length / 3;
      const contrast = applyAugment(x, [P({ contrast: 0.5 })]);
      assertTensorsClose(contrast, tf.tensor4d(v.map((p) => Math.min(1, Math.max(0, p * 0.5 + m * 0.5))), x.shape as number[] as [number, number, number, number]), 1e-6);
      const grey = applyAugment(x, [P({ grayscale: true })]).dataSync();
      for (let i = 0; i < v.length; i += 3) {
        assert.ok(Math.abs(grey[i] - luma(i)) < 1e-6 && grey[i] === grey[i + 1] && grey[i] === grey[i + 2], `pixel ${i / 3} is grey`);
      }
      tf.dispose([x, bright, contrast]);
    });

    it('outputs stay in [0, 1], keep shape and dtype, for 1 and 3 channels and extreme params', () => {
      for (const c of [1, 3]) {
        const x = pattern(3, 14, c);
        const wild = [P({ brightness: 2, contrast: 2, saturation: 2, noiseStd: 0.5, noiseSeed: 1 }),
          P({ rotate: 45, scale: 0.5, brightness: 0.1, grayscale: true }), P({ contrast: 0, noiseStd: 1, noiseSeed: 2 })];
        for (const fillMode of ['constant', 'nearest', 'wrap'] as const) {
          const y = applyAugment(x, wild, { fillMode, fillValue: 1 });
          assert.deepEqual(y.shape, [3, 14, 14, c]);
          assert.equal(y.dtype, 'float32');
          const d = y.dataSync();
          let lo = Infinity;
          let hi = -Infinity;
          for (const val of d) {
            lo = Math.min(lo, val);
            hi = Math.max(hi, val);
          }
          assert.ok(lo >= 0 && hi <= 1, `${c} channels, ${fillMode}: values in [${lo}, ${hi}]`);
          y.dispose();
        }
        x.dispose();
      }
    });

    it('the same rng seed gives the same pixels; another seed gives others', () => {
      const x = pattern(6, 16, 3);
      const a = augmentBatch(x, 'default', new Rng(3));
      const b = augmentBatch(x, 'default', new Rng(3));
      const c = augmentBatch(x, 'default', new Rng(4));
      sameBits(a.images, b.images, 'same seed');
      assert.deepEqual(a.params, b.params);
      assert.ok(tf.max(tf.abs(tf.sub(a.images, c.images))).dataSync()[0] > 0.01, 'another seed differs');
      const s2 = augmentBatch(x, 'siamese-cnn', new Rng(3));
      const s2again = augmentBatch(x, resolvePolicy('siamese-cnn'), new Rng(3));
      sameBits(s2.images, s2again.images, 'siamese-cnn, same seed');
      tf.dispose([x, a.images, b.images, c.images, s2.images, s2again.images]);
    });

    it('leaks no tensors and does not dispose its input', () => {
      const x = pattern(4, 12, 3);
      const params = samplePolicy(resolvePolicy('default'), 4, new Rng(1));
      assertNoLeak(() => applyAugment(x, [EVERYTHING, EVERYTHING, IDENTITY_PARAMS, P({ grayscale: true, noiseStd: 0.1 })]));
      assertNoLeak(() => applyAugment(x, params));
      assertNoLeak(() => augmentBatch(x, 'siamese-cnn', new Rng(2)).images);
      assert.equal(x.isDisposed, false);
      x.dispose();
    });

    it('refuses bad input with messages naming it', () => {
      const x = pattern(2, 8, 3);
      assert.throws(() => applyAugment(x, [IDENTITY_PARAMS]), /1 params for a batch of 2 images/);
      assert.throws(() => applyAugment(x, [IDENTITY_PARAMS, IDENTITY_PARAMS], { fillMode: 'reflect' as never }), /reflect/);
      const ints = tf.cast(x, 'int32') as tf.Tensor4D;
      assert.throws(() => applyAugment(ints, [IDENTITY_PARAMS, IDENTITY_PARAMS]), /float32.*int32/);
      const four = tf.concat([x, tf.slice(x, [0, 0, 0, 0], [2, 8, 8, 1])], 3) as tf.Tensor4D;
      assert.throws(() => applyAugment(four, [IDENTITY_PARAMS, IDENTITY_PARAMS]), /1 or 3 channels, got 4/);
      tf.dispose([x, ints, four]);
    });
  });
}
