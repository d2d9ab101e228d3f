/**
 * Whole models on wasm with the project's kernels (issue 4): the Siamese contrastive-loss gradients
 * of a small MobileNetV3-small agree with the cpu backend, and both project models (MobileNetV3-small
 * and seed2's CNN, at a small input size) train on a tiny fixed set with the loss falling, with no
 * "kernel not registered", no fallback to cpu and no tensor leak.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, inPlaceAdam } from '../../lib/backend';
import { mobileNetV3Small, seed2Cnn } from '../../lib/models';
import { contrastiveLoss } from '../../lib/losses';
import { Rng } from '../../lib/util/rng';

before(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

/** A tiny fixed set: 4 people as base images; same pairs are noisy copies, different pairs differ. */
function pairs(size: number, n: number, seed: string): { x: tf.Tensor4D; isSame: tf.Tensor1D } {
  const rng = new Rng(seed);
  const people = Array.from({ length: 4 }, () => Float32Array.from({ length: size * size * 3 }, () => rng.float()));
  const a: Float32Array[] = [], b: Float32Array[] = [], same: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = i % 4, s = i % 2;
    const q = s === 1 ? p : (p + 1 + rng.int(3)) % 4;
    a.push(people[p].map((v) => v + 0.05 * rng.normal()));
    b.push(people[q].map((v) => v + 0.05 * rng.normal()));
    same.push(s);
  }
  const flat = new Float32Array(2 * n * size * size * 3);
  [...a, ...b].forEach((img, i) => flat.set(img, i * img.length));
  return { x: tf.tensor4d(flat, [2 * n, size, size, 3]), isSame: tf.tensor1d(same, 'float32') };
}

function lossOf(net: tf.LayersModel, x: tf.Tensor4D, isSame: tf.Tensor1D, n: number): tf.Scalar {
  const e = net.apply(x, { training: true }) as tf.Tensor2D;
  const [ea, eb] = tf.split(e, [n, n]) as [tf.Tensor2D, tf.Tensor2D];
  return contrastiveLoss(ea, eb, isSame) as tf.Scalar;
}

function variablesOf(net: tf.LayersModel): tf.Variable[] {
  return net.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
}

test('Siamese contrastive-loss gradients of a small MobileNetV3-small agree with cpu within 1e-3', async () => {
  const n = 3;
  const net = mobileNetV3Small({ inputSize: 32, alpha: 0.5, head: 'simple', seed: 5 });
  const { x, isSame } = pairs(32, n, 'whole-model');
  const vars = variablesOf(net);
  const gradsOn = async (backend: 'wasm' | 'cpu') => {
    await tf.setBackend(backend);
    const { value, grads } = tf.variableGrads(() => lossOf(net, x, isSame, n), vars);
    const out = vars.map((v) => grads[v.name].dataSync() as Float32Array);
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };
  const ours = await gradsOn('wasm');
  const ref = await gradsOn('cpu');
  await tf.setBackend('wasm');
  // The measure on the whole gradient (every variable concatenated), plus an elementwise
  // tolerance relative to the largest gradient. Per variable it is reported, not asserted: a
  // batch-norm shift followed by another training-mode batch norm has a gradient that is exactly 0
  // in exact arithmetic, so both backends return rounding noise there.
  let num = 0, den = 0, max = 0;
  vars.forEach((_, i) => ref[i].forEach((r, j) => {
    num += (ours[i][j] - r) ** 2;
    den += r * r;
    max = Math.max(max, Math.abs(r));
  }));
  vars.forEach((v, i) => ref[i].forEach((r, j) => {
    assert.ok(Math.abs(ours[i][j] - r) <= 1e-3 * max, `${v.name}[${j}]: ${ours[i][j]} vs cpu ${r} (max |grad| ${max})`);
  }));
  const perVar = vars.map((v, i) => {
    let vn = 0, vd = 0;
    ref[i].forEach((r, j) => { vn += (ours[i][j] - r) ** 2; vd += r * r; });
    return { name: v.name, rel: Math.sqrt(vn) / (Math.sqrt(vd) + 1e-6), norm: Math.sqrt(vd) };
  });
  const worst = perVar.filter((p) => p.norm > 1e-3 * Math.sqrt(den)).sort((a, b) => b.rel - a.rel)[0];
  const rel = Math.sqrt(num) / (Math.sqrt(den) + 1e-6);
  console.log(`whole model: ${vars.length} variables, relative error ${rel.toExponential(2)}; worst non-negligible variable ` +
    `${worst.name} ${worst.rel.toExponential(2)}`);
  assert.ok(rel < 1e-3, `relative error ${rel}`);
  tf.dispose([x, isSame]);
  net.dispose();
});

for (const [label, build, steps] of [
  ['MobileNetV3-small (32 px)', () => mobileNetV3Small({ inputSize: 32, head: 'simple', seed: 2 }), 25],
  ["seed2's CNN (32 px)", () => seed2Cnn({ inputSize: 32, seed: 2 }), 15],
] as const) {
  test(`${label} trains on wasm: the loss falls on a tiny fixed set, no leaks`, () => {
    assert.equal(tf.getBackend(), 'wasm');
    const n = 8;
    const net = build();
    const { x, isSame } = pairs(32, n, label);
    const opt = inPlaceAdam(1e-3);
    const vars = variablesOf(net);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => lossOf(net, x, isSame, n), vars);
      opt.applyGradients(grads);
      const v = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return v;
    };
    const first = step();
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < steps; i++) last = step();
    console.log(`${label}: loss ${first.toFixed(4)} -> ${last.toFixed(4)} in ${steps + 1} steps`);
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leak');
    assert.ok(Number.isFinite(last) && last < 0.5 * first, `loss fell from ${first} to ${last}`);
    assert.equal(tf.getBackend(), 'wasm');
    opt.dispose();
    tf.dispose([x, isSame]);
    net.dispose();
  });
}
