/**
 * lib/backend/kernels/in-place-update.ts through lib/train's Optimizer on wasm: the in-place Adam path
 * gives the same bits as the tf-op path (plain, L2 and decoupled weight decay), keeps its state exact,
 * leaves clones of a variable intact, makes XNNPACK see the new weights, and leaks nothing.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { Optimizer, type OptimizerConfig } from '../../lib/train';
import { Rng } from '../../lib/util/rng';

before(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.normal();
  return a;
}

/** Runs 4 steps; returns the final values and the state. */
async function run(cfg: Partial<OptimizerConfig>, inPlace: boolean, label: string) {
  const rng = new Rng('inplace');
  const shape = [7, 11, 3]; // 231 elements: a SIMD body and a scalar tail
  const init = tf.tensor(randomArray(rng, 231), shape);
  const theta = tf.variable(init, true, `theta_${label}_${inPlace}`);
  init.dispose();
  const opt = new Optimizer([theta], cfg, { inPlace });
  for (let step = 0; step < 4; step++) {
    const g = tf.tensor(randomArray(rng, 231, 0.1), shape);
    opt.apply({ [theta.name]: g }, [0.1, 0.05, 0.05, 0.01][step]);
    g.dispose();
  }
  const values = theta.dataSync().slice() as Float32Array;
  const state = await opt.getState();
  opt.dispose();
  theta.dispose();
  return { values, state };
}

for (const cfg of [{ name: 'adam' }, { name: 'adam', weightDecay: 0.1 }, { name: 'adam', weightDecay: 0.1, decoupled: true }] as Partial<OptimizerConfig>[]) {
  test(`Optimizer ${JSON.stringify(cfg)}: in place on wasm gives the same bits and state as the tf-op path`, async () => {
    const tensors = tf.memory().numTensors;
    const a = await run(cfg, true, JSON.stringify(cfg));
    const b = await run(cfg, false, JSON.stringify(cfg));
    assert.deepEqual(Array.from(a.values), Array.from(b.values));
    assert.equal(a.state.step, b.state.step);
    assert.deepEqual([...a.state.tensors.keys()], [...b.state.tensors.keys()]);
    for (const [k, t] of a.state.tensors) assert.deepEqual(Array.from(t.values), Array.from(b.state.tensors.get(k)!.values), k);
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks');
  });
}

test('in-place Adam leaves a clone of the variable intact and XNNPACK convolutions see the new weights', () => {
  const rng = new Rng('inplace conv');
  const init = tf.tensor(randomArray(rng, 3 * 3 * 4 * 5), [3, 3, 4, 5]);
  const w = tf.variable(init, true, 'inplace_conv_w');
  init.dispose();
  const x = tf.tensor(randomArray(rng, 2 * 6 * 6 * 4), [2, 6, 6, 4]) as tf.Tensor4D;
  const opt = new Optimizer([w], { name: 'adam' });
  tf.conv2d(x, w, 1, 'same').dispose(); // XNNPACK caches an operator with w's packed values
  const clone = tf.clone(w);
  const old = clone.dataSync().slice();
  const g = tf.onesLike(w);
  opt.apply({ [w.name]: g }, 0.5);
  assert.deepEqual(Array.from(clone.dataSync()), Array.from(old), 'the clone kept the old values');
  const ours = tf.conv2d(x, w, 1, 'same');
  const fresh = tf.tensor(w.dataSync().slice(), w.shape) as tf.Tensor4D;
  const want = tf.conv2d(x, fresh, 1, 'same');
  assert.deepEqual(Array.from(ours.dataSync()), Array.from(want.dataSync()), 'conv uses the updated weights');
  assert.notDeepEqual(Array.from(w.dataSync()), Array.from(old), 'the weights moved');
  tf.dispose([x, clone, g, ours, fresh, want, w]);
  opt.dispose();
});
