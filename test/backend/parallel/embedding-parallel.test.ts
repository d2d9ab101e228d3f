/**
 * lib/backend/parallel EmbeddingParallel: a loss over the embeddings of images embedded on two threads has the
 * gradient of the same loss on one thread (a network without batch norm: equal up to rounding), the helper
 * follows this thread's weights, variables of this thread only (a head) get theirs, failures on either side
 * are reported with their reason and leave the next step working, and nothing leaks (1,000 steps).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, EmbeddingParallel } from '../../../lib/backend';
import { Rng } from '../../../lib/util/rng';
import { createEmbeddingReplica } from './fixture-embedding-replica';
import { assertFlatOver } from '../leaks';

const MODULE = path.join(__dirname, 'fixture-embedding-replica.ts');
let dp: EmbeddingParallel;

before(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
  dp = await EmbeddingParallel.start({ module: MODULE, options: { seed: 5 }, timeoutMs: 20_000 });
});
after(async () => {
  await dp?.close();
});

function images(seed: string, n: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(new Float32Array(n * 6 * 6 * 3).map(() => rng.normal()), [n, 6, 6, 3]);
}

function relError(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / (Math.sqrt(den) + 1e-12);
}

/** A loss mixing every row with every other (as batch-hard triplet or batch contrastive do) and a head scale. */
function lossWith(scale: tf.Tensor) {
  return (e: tf.Tensor2D): tf.Scalar => tf.tidy(() => {
    const g = tf.matMul(e, e, false, true);
    const n = e.shape[0];
    const labels = tf.tensor2d(Array.from({ length: n * n }, (_, k) => ((Math.floor(k / n) % 3) === ((k % n) % 3) ? 1 : -1)), [n, n]);
    return tf.add(tf.mean(tf.mul(tf.tanh(tf.mul(g, scale)), labels)), tf.mul(0.01, tf.sum(tf.square(e)))) as tf.Scalar;
  });
}

test('the loss and gradients of embeddings made on two threads equal one thread\'s, step after step', async () => {
  const replica = createEmbeddingReplica({ seed: 11 }); // other initial values than the helper's: it must take ours
  const scale = tf.variable(tf.scalar(0.7), true, 'fixture_head_scale');
  const loss = lossWith(scale);
  const tensors = tf.memory().numTensors;
  for (let step = 0; step < 3; step++) {
    const a = images(`a ${step}`, 5), b = images(`b ${step}`, 5);
    const all = [...replica.variables, scale] as tf.Variable[];
    const full = tf.variableGrads(() => loss(tf.concat([replica.embed(a), replica.embed(b)]) as tf.Tensor2D), all);
    const par = await dp.variableGrads({ here: a, there: b, dim: 4, embed: replica.embed, loss, shared: replica.variables, own: [scale] });
    const [pv, fv] = [par.value.dataSync()[0], full.value.dataSync()[0]];
    assert.ok(Math.abs(pv - fv) <= 1e-5 * Math.abs(fv) + 1e-7, `step ${step}: loss ${pv} vs ${fv}`);
    for (const v of all) {
      const rel = relError(par.grads[v.name].dataSync() as Float32Array, full.grads[v.name].dataSync() as Float32Array);
      assert.ok(rel < 1e-5, `step ${step} ${v.name}: relative error ${rel}`);
    }
    // a step on this thread only; the next comparison fails unless the helper takes it up
    for (const v of all) tf.tidy(() => v.assign(tf.sub(v, tf.mul(full.grads[v.name], 0.5))));
    tf.dispose([full.value, par.value, ...Object.values(full.grads), ...Object.values(par.grads), a, b]);
  }
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks');
  tf.dispose([...(replica.variables as tf.Variable[]), scale]);
});

test('without variables of its own the loss runs once: the loss and gradients are the bits of taping it again', async () => {
  const replica = createEmbeddingReplica({ seed: 11 });
  const scale = tf.scalar(0.7);
  const loss = lossWith(scale);
  const unused = tf.variable(tf.scalar(1), true, 'fixture_unused'); // an own variable the loss does not use: the taped path
  const tensors = tf.memory().numTensors;
  for (let step = 0; step < 3; step++) {
    const a = images(`a ${step}`, 5), b = images(`b ${step}`, 5);
    const once = await dp.variableGrads({ here: a, there: b, dim: 4, embed: replica.embed, loss, shared: replica.variables });
    const taped = await dp.variableGrads({ here: a, there: b, dim: 4, embed: replica.embed, loss, shared: replica.variables, own: [unused] });
    assert.ok(Object.is(once.value.dataSync()[0], taped.value.dataSync()[0]), `step ${step}: loss ${once.value.dataSync()[0]} vs ${taped.value.dataSync()[0]}`);
    for (const v of replica.variables) {
      const [x, y] = [once.grads[v.name].dataSync(), taped.grads[v.name].dataSync()];
      assert.ok(x.every((value, i) => Object.is(value, y[i])), `step ${step} ${v.name}: the same bits`);
    }
    const full = tf.variableGrads(() => loss(tf.concat([replica.embed(a), replica.embed(b)]) as tf.Tensor2D), replica.variables as tf.Variable[]);
    for (const v of replica.variables) assert.ok(relError(once.grads[v.name].dataSync() as Float32Array, full.grads[v.name].dataSync() as Float32Array) < 1e-5);
    for (const v of replica.variables) tf.tidy(() => v.assign(tf.sub(v, tf.mul(full.grads[v.name], 0.5))));
    tf.dispose([once.value, taped.value, full.value, ...Object.values(once.grads), ...Object.values(taped.grads), ...Object.values(full.grads), a, b]);
  }
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks');
  tf.dispose([...(replica.variables as tf.Variable[]), scale, unused]);
});

test('1,000 two-thread steps with an optimizer keep this thread\'s tensors and wasm heap flat', async () => {
  const replica = createEmbeddingReplica({ seed: 12 });
  const scale = tf.variable(tf.scalar(0.7), true, 'fixture_head_scale_leak');
  const loss = lossWith(scale);
  const opt = tf.train.sgd(1e-3);
  const a = images('leak a', 4), b = images('leak b', 4);
  const step = async () => {
    const par = await dp.variableGrads({ here: a, there: b, dim: 4, embed: replica.embed, loss, shared: replica.variables, own: [scale] });
    opt.applyGradients(par.grads);
    tf.dispose([par.value, ...Object.values(par.grads)]);
  };
  await assertFlatOver(1000, step);
  tf.dispose([a, b, ...(replica.variables as tf.Variable[]), scale]);
  opt.dispose();
});

test('a failure on either thread is reported with its reason, never a hang, and the next step works', async () => {
  const replica = createEmbeddingReplica({ seed: 5 });
  const scale = tf.variable(tf.scalar(1), true, 'fixture_head_scale_2');
  const a = images('a', 4), b = images('b', 4);
  const step = (over: Partial<Parameters<EmbeddingParallel['variableGrads']>[0]> = {}) =>
    dp.variableGrads({ here: a, there: b, dim: 4, embed: replica.embed, loss: lossWith(scale), shared: replica.variables, own: [scale], helperState: {}, ...over });
  const tensors = tf.memory().numTensors;
  await assert.rejects(step({ helperState: { fail: true } }), /EmbeddingParallel helper: the fixture was told to fail/);
  await assert.rejects(step({ loss: () => { throw new Error('this thread\'s loss broke'); } }), /this thread's loss broke/);
  await assert.rejects(step({ dim: 3 }), /embeddings are 4 wide, the step said 3/);
  await assert.rejects(step({ shared: replica.variables.slice(0, 1) }), /do not match the helper's replica/);
  assert.equal(tf.memory().numTensors, tensors, 'failed steps leak nothing');
  const ok = await step();
  assert.ok(Number.isFinite(ok.value.dataSync()[0]));
  tf.dispose([ok.value, ...Object.values(ok.grads), a, b, scale, ...(replica.variables as tf.Variable[])]);
});
