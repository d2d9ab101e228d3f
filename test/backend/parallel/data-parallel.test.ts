/**
 * lib/backend/parallel DataParallel: two halves (this thread + a worker_threads helper) give the full
 * batch's gradient of a mean loss, follow this thread's weights step by step, leak nothing, and fail
 * clearly on bad input.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, DataParallel } from '../../../lib/backend';
import { Rng } from '../../../lib/util/rng';
import { createReplica } from './fixture-replica';

const MODULE = path.join(__dirname, 'fixture-replica.ts');
let dp: DataParallel;

before(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
  dp = await DataParallel.start({ module: MODULE, options: { seed: 5 } });
});
after(async () => {
  await dp?.close();
});

function batch(seed: string): tf.Tensor[] {
  const rng = new Rng(seed);
  const x = new Float32Array(8 * 6 * 6 * 3).map(() => rng.normal());
  const y = new Float32Array(8 * 4).map(() => rng.normal());
  return [tf.tensor(x, [8, 6, 6, 3]), tf.tensor(y, [8, 4])];
}

function relError(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / (Math.sqrt(den) + 1e-12);
}

test('averaged half-batch gradients equal the full batch gradient, and the helper follows weight updates', async () => {
  const replica = createReplica({ seed: 11 }); // other initial values than the helper's: it must take ours
  const tensors = tf.memory().numTensors;
  for (let step = 0; step < 3; step++) {
    const inputs = batch(`dp ${step}`);
    const full = tf.variableGrads(() => replica.loss(inputs), replica.variables as tf.Variable[]);
    const par = await dp.variableGrads(replica.loss, inputs, replica.variables);
    assert.ok(Math.abs(par.value.dataSync()[0] - full.value.dataSync()[0]) < 1e-5 * Math.abs(full.value.dataSync()[0]) + 1e-7, 'loss');
    for (const v of replica.variables) {
      const rel = relError(par.grads[v.name].dataSync() as Float32Array, full.grads[v.name].dataSync() as Float32Array);
      assert.ok(rel < 1e-5, `step ${step} ${v.name}: relative error ${rel}`);
    }
    // an SGD step on this thread only; the next step's comparison fails unless the helper takes it up
    for (const v of replica.variables) tf.tidy(() => v.assign(tf.sub(v, tf.mul(full.grads[v.name], 0.5))));
    tf.dispose([full.value, par.value, ...Object.values(full.grads), ...Object.values(par.grads), ...inputs]);
  }
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks');
  tf.dispose(replica.variables as tf.Variable[]);
});

test('an odd batch or a different model is refused with the reason', async () => {
  const replica = createReplica({ seed: 5 });
  const odd = [tf.zeros([3, 6, 6, 3]), tf.zeros([3, 4])];
  await assert.rejects(dp.variableGrads(replica.loss, odd, replica.variables), /odd batch size/);
  await assert.rejects(dp.variableGrads(replica.loss, odd, replica.variables.slice(0, 1)), /do not match the helper's replica/);
  tf.dispose([...odd, ...(replica.variables as tf.Variable[])]);
});
