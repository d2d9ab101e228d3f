/**
 * lib/train/streamed-dense.ts: a large Dense layer updated block by block in the backward pass gives the same
 * bits as the ordinary step (weights, Adam's state, losses, the layer's output), whatever the block size; the
 * layer is found inside a nested model; nothing leaks; a non-finite gradient updates nothing; restore() puts
 * the layer back; and the trainer uses it (and says so) with the same result as without it.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { readWeights } from '../../lib/models';
import { Optimizer, runExperiment, streamLargeDenseUpdates, type OptimizerConfig } from '../../lib/train';
import { Rng } from '../../lib/util/rng';
import { tempRuns, tinyConfig, tinyFaces } from './fixtures';

before(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

/** x [n, 40] -> conv-free net: dense 40->24 (the streamed one, with bias) -> relu -> dense 24->6, inside a nested model. */
function buildModel(seed: number, bias = true): tf.LayersModel {
  const inner = tf.sequential({
    name: `inner_${seed}_${bias}`,
    layers: [
      tf.layers.dense({ inputShape: [40], units: 24, useBias: bias, name: `big_${seed}_${bias}`, kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed + 1 }) }),
      tf.layers.reLU(),
      tf.layers.dense({ units: 6, name: `small_${seed}_${bias}`, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }),
    ],
  });
  const input = tf.input({ shape: [40] });
  return tf.model({ inputs: input, outputs: inner.apply(input) as tf.SymbolicTensor });
}

function batch(rng: Rng, step: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = new Float32Array(5 * 40).map(() => rng.normal());
  const y = new Float32Array(5 * 6).map(() => rng.normal());
  if (step === 2) x[7] = 0; // an exact zero somewhere does not matter
  return { x: tf.tensor2d(x, [5, 40]), y: tf.tensor2d(y, [5, 6]) };
}

/** Trains 4 steps; `stream`: the options for streamLargeDenseUpdates, or null for the ordinary step. */
async function train(stream: { blockFloats: number } | null, cfg: Partial<OptimizerConfig>, bias = true) {
  const model = buildModel(3, bias);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = new Optimizer(variables, cfg);
  const streamed = stream ? streamLargeDenseUpdates(model, opt, { minWeights: 960, ...stream }) : null;
  if (stream) assert.ok(streamed, 'the 40x24 layer qualifies');
  const rng = new Rng('streamed');
  const losses: number[] = [];
  let tensors = 0;
  for (let step = 0; step < 4; step++) {
    const lr = [0.01, 0.02, 0.005, 0.01][step];
    streamed?.setLearningRate(lr);
    const { x, y } = batch(rng, step);
    const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
    losses.push(value.dataSync()[0]);
    opt.apply(grads, lr);
    tf.dispose([value, x, y, ...Object.values(grads)]);
    if (step === 0) tensors = tf.memory().numTensors; // Adam's slots are made on the first step
  }
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks over the steps');
  const probe = tf.tidy(() => (model.predict(tf.ones([2, 40])) as tf.Tensor).dataSync().slice());
  streamed?.restore();
  const probeAfter = tf.tidy(() => (model.predict(tf.ones([2, 40])) as tf.Tensor).dataSync().slice());
  assert.deepEqual(Array.from(probeAfter), Array.from(probe), 'the restored layer computes the same output');
  const weights = variables.map((v) => Array.from(v.dataSync()));
  const state = await opt.getState();
  opt.dispose();
  model.dispose();
  return { losses, weights, state, probe };
}

for (const cfg of [{ name: 'adam' }, { name: 'adam', weightDecay: 0.01 }, { name: 'adam', weightDecay: 0.1, decoupled: true }] as Partial<OptimizerConfig>[]) {
  test(`streamed updates give the ordinary step's bits: ${JSON.stringify(cfg)}, blocks of 1, 7 (with a tail) and all rows`, async () => {
    const plain = await train(null, cfg);
    for (const blockFloats of [24, 7 * 24 + 5, 1e9]) {
      const streamed = await train({ blockFloats }, cfg);
      assert.deepEqual(streamed.losses, plain.losses, `losses, blocks of ${blockFloats} floats`);
      streamed.weights.forEach((w, i) => assert.deepEqual(w, plain.weights[i], `variable ${i}, blocks of ${blockFloats} floats`));
      assert.equal(streamed.state.step, plain.state.step);
      for (const [k, t] of plain.state.tensors) assert.deepEqual(Array.from(streamed.state.tensors.get(k)!.values), Array.from(t.values), `optimizer slot ${k}`);
    }
  });
}

test('a Dense layer without bias streams too', async () => {
  const plain = await train(null, { name: 'adam' }, false);
  const streamed = await train({ blockFloats: 100 }, { name: 'adam' }, false);
  assert.deepEqual(streamed.weights, plain.weights);
});

test('nothing is streamed for other optimizers, the tf-op Adam, or layers below the size', () => {
  const model = buildModel(11);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  for (const [opt, minWeights] of [
    [new Optimizer(variables, { name: 'sgd' }), 1], [new Optimizer(variables, { name: 'rmsprop' }), 1],
    [new Optimizer(variables, { name: 'adam' }, { inPlace: false }), 1], [new Optimizer(variables, { name: 'adam' }), 961],
  ] as const) {
    assert.equal(streamLargeDenseUpdates(model, opt, { minWeights }), null);
    opt.dispose();
  }
  const opt = new Optimizer(variables, { name: 'adam' });
  const s = streamLargeDenseUpdates(model, opt, { minWeights: 144 })!;
  assert.deepEqual(s.layers.map((l) => l.shape), [[40, 24], [24, 6]], 'both layers at a low size, found inside the nested model');
  s.restore();
  assert.throws(() => streamLargeDenseUpdates(model, opt, { blockFloats: 0 }), /blockFloats must be a positive integer/);
  opt.dispose();
  model.dispose();
});

test('a non-finite gradient at the layer updates nothing there, and is counted', () => {
  const model = buildModel(21);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = new Optimizer(variables, { name: 'adam' });
  const s = streamLargeDenseUpdates(model, opt, { minWeights: 960 })!;
  const before = Array.from(variables[0].dataSync());
  const x = tf.fill([2, 40], Infinity);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, variables);
  assert.equal(s.skipped, 1);
  assert.deepEqual(Array.from(variables[0].dataSync()), before, 'the kernel is untouched');
  tf.dispose([value, x, ...Object.values(grads)]);
  s.restore();
  opt.dispose();
  model.dispose();
});

function weightsOf(dir: string): Map<string, number[]> {
  const weights = readWeights(path.join(dir, 'model'));
  const out = new Map(weights.map((w) => [w.name, Array.from(w.tensor.dataSync())]));
  tf.dispose(weights.map((w) => w.tensor));
  return out;
}

test('the trainer streams a qualifying layer, says so, and ends with the same weights as without it', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const quiet = { progress: 'none' as const };
  const logs: string[] = [];
  const config = tinyConfig(dir, { epochs: 1, augment: 'none', workers: 1 });
  const off = await runExperiment(config, { ...quiet, log: () => undefined, runsDir: tempRuns(), streamLargeUpdates: false });
  const on = await runExperiment(config, { ...quiet, log: (l) => void logs.push(l), runsDir: tempRuns(), streamLargeUpdates: { minWeights: 1, blockFloats: 40 } });
  assert.ok(logs.some((l) => /block by block in the backward pass/.test(l)), logs.join('\n'));
  assert.deepEqual(on.history.map((h) => h.trainLoss), off.history.map((h) => h.trainLoss));
  assert.deepEqual(weightsOf(on.dir), weightsOf(off.dir));
});
