/**
 * lib/augment/noise.ts draws tf.randomNormal's values bit for bit (the augmentation's pixels, and so every training
 * run, are unchanged by it), for any non-zero seed, odd and even lengths, any mean and deviation; seed 0 is
 * deterministic too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { fillGaussian } from '../../lib/augment/noise';
import { Rng } from '../../lib/util/rng';

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test("fillGaussian gives tf.randomNormal's values bit for bit", async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const rng = new Rng('noise-test');
  const seeds = [1, 2, 7, 42, 123456789, 2 ** 31 - 1, ...Array.from({ length: 12 }, () => rng.seed() || 1)];
  const sizes = [1, 2, 3, 5, 64 * 64 * 3, 17 * 13 * 1];
  const spreads: [number, number][] = [[0, 0.05], [0, 1], [1.5, 2], [-0.25, 0.001]];
  for (const seed of seeds) {
    for (const size of sizes) {
      for (const [mean, std] of spreads) {
        const want = tf.tidy(() => tf.randomNormal([size], mean, std, 'float32', seed).dataSync() as Float32Array);
        sameBits(fillGaussian(new Float32Array(size), mean, std, seed), want, `seed ${seed}, ${size} values, N(${mean}, ${std})`);
      }
    }
  }
});

test('fillGaussian: seed 0 is a seed like any other (tfjs would draw an unseeded stream)', () => {
  const a = fillGaussian(new Float32Array(100), 0, 1, 0);
  const b = fillGaussian(new Float32Array(100), 0, 1, 0);
  sameBits(a, b, 'seed 0 twice');
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean) < 0.5 && a.some((v) => v !== a[0]), 'and the values look normal');
});
