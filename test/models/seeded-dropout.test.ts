import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { maskSeed, SeededDropout, seededDropout } from '../../lib/models';
import { assertNoLeak } from '../helpers';

/** The 0/1 pattern of kept units after `steps` training calls of a fresh layer. */
function masks(seed: number, steps: number): number[][] {
  const layer = seededDropout({ rate: 0.5, seed });
  const x = tf.ones([4, 32]);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    out.push(Array.from(y.dataSync()).map((v) => (v > 0 ? 1 : 0)));
    y.dispose();
  }
  x.dispose();
  return out;
}

describe('SeededDropout', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('draws a different mask on every training call', () => {
    const m = masks(7, 3);
    assert.notDeepEqual(m[0], m[1]);
    assert.notDeepEqual(m[1], m[2]);
  });

  it('repeats the same sequence of masks in a second run with the same seed', () => {
    assert.deepEqual(masks(7, 3), masks(7, 3));
    assert.notDeepEqual(masks(7, 1), masks(8, 1));
  });

  it("unlike tfjs's dropout with a fixed seed, which repeats one mask", () => {
    const layer = tf.layers.dropout({ rate: 0.5, seed: 7 });
    const x = tf.ones([4, 32]);
    const a = (layer.apply(x, { training: true }) as tf.Tensor).dataSync();
    const b = (layer.apply(x, { training: true }) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(a), Array.from(b));
  });

  it('scales kept units by 1/(1-rate), passes through at inference without advancing', () => {
    const layer = seededDropout({ rate: 0.5, seed: 1 });
    const x = tf.ones([2, 64]);
    const y = Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync());
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 2) < 1e-6));
    assert.equal(layer.maskStep, 1);
    assert.deepEqual(Array.from((layer.apply(x) as tf.Tensor).dataSync()), Array.from(x.dataSync()));
    assert.equal(layer.maskStep, 1);
    assert.notEqual(maskSeed(1, 0), maskSeed(1, 1));
  });

  it('resumes the mask sequence from maskStep', () => {
    const full = masks(3, 3);
    const layer = seededDropout({ rate: 0.5, seed: 3 });
    layer.maskStep = 2;
    const y = layer.apply(tf.ones([4, 32]), { training: true }) as tf.Tensor;
    assert.deepEqual(Array.from(y.dataSync()).map((v) => (v > 0 ? 1 : 0)), full[2]);
  });

  it('serializes rate and seed, validates arguments', () => {
    const layer = seededDropout({ rate: 0.2, seed: 42, name: 'd' });
    const cfg = layer.getConfig();
    assert.equal(cfg.rate, 0.2);
    assert.equal(cfg.seed, 42);
    const copy = SeededDropout.fromConfig(SeededDropout, cfg) as SeededDropout;
    assert.equal(copy.seed, 42);
    assert.throws(() => seededDropout({ rate: 1, seed: 1 }), /rate must be a number in \[0, 1\), got 1/);
    assert.throws(() => seededDropout({ rate: 0.5, seed: -1 }), /seed must be an integer in \[0, 2\^31\), got -1/);
  });

  it('does not leak tensors', () => {
    const layer = seededDropout({ rate: 0.5, seed: 1 });
    const x = tf.ones([2, 8]);
    assertNoLeak(() => layer.apply(x, { training: true }) as tf.Tensor);
    assertNoLeak(() => layer.apply(x) as tf.Tensor);
    x.dispose();
  });
});
