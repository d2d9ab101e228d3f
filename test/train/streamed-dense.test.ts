/**
 * lib/train/streamed-dense.ts: a large Dense layer updated block by block gives the same bits as the ordinary
 * step (weights, Adam's state, losses, the layer's output), whatever the block size, with and without bias, run
 * once or twice a step; the layer is found inside a nested model; nothing leaks; a non-finite gradient updates
 * nothing; a layer the tape skips is an error; restore() puts the layer back; and the trainer uses it (and says
 * so) with the same result as without it.
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

/**
 * x [n, 40] -> (with `front`: dense 40->20 ->) dense ->24/48 (the streamed one) -> relu -> dense ->6, all inside a
 * nested model; `twice`: the nested model applied to two inputs (as the Siamese model does to a pair) and the outputs added.
 */
function buildModel(seed: number, o: { bias?: boolean; front?: boolean; twice?: boolean } = {}): tf.LayersModel {
  const { bias = true, front = false, twice = false } = o;
  const tag = `${seed}_${bias}_${front}_${twice}`;
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const inner = tf.sequential({
    name: `inner_${tag}`,
    layers: [
      ...(front ? [tf.layers.dense({ inputShape: [40], units: 20, name: `front_${tag}`, kernelInitializer: init(seed + 5) })] : []),
      tf.layers.dense({ ...(front ? {} : { inputShape: [40] }), units: front ? 48 : 24, useBias: bias, name: `big_${tag}`, kernelInitializer: init(seed),
        biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed + 1 }) }),
      tf.layers.reLU(),
      tf.layers.dense({ units: 6, name: `small_${tag}`, kernelInitializer: init(seed + 2) }),
    ],
  });
  const a = tf.input({ shape: [40] });
  if (!twice) return tf.model({ inputs: a, outputs: inner.apply(a) as tf.SymbolicTensor });
  const b = tf.input({ shape: [40] });
  const out = tf.layers.add().apply([inner.apply(a) as tf.SymbolicTensor, inner.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  return tf.model({ inputs: [a, b], outputs: out });
}

function batch(rng: Rng, step: number): { x: tf.Tensor2D; x2: tf.Tensor2D; y: tf.Tensor2D } {
  const x = new Float32Array(5 * 40).map(() => rng.normal());
  const x2 = new Float32Array(5 * 40).map(() => rng.normal());
  const y = new Float32Array(5 * 6).map(() => rng.normal());
  if (step === 2) x[7] = 0; // an exact zero somewhere does not matter
  return { x: tf.tensor2d(x, [5, 40]), x2: tf.tensor2d(x2, [5, 40]), y: tf.tensor2d(y, [5, 6]) };
}

/** Trains 4 steps; `stream`: the options for streamLargeDenseUpdates, or null for the ordinary step. */
async function train(stream: { blockFloats: number } | null, cfg: Partial<OptimizerConfig>, shape: { bias?: boolean; front?: boolean; twice?: boolean } = {}) {
  const model = buildModel(3, shape);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = new Optimizer(variables, cfg);
  const streamed = stream ? streamLargeDenseUpdates(model, opt, { minWeights: 960, ...stream }) : null;
  if (stream) assert.deepEqual(streamed?.layers.map((l) => l.shape.reduce((a, b) => a * b)), [960], 'the big layer, and only it, qualifies');
  const rng = new Rng('streamed');
  const losses: number[] = [];
  let tensors = 0;
  for (let step = 0; step < 4; step++) {
    const lr = [0.01, 0.02, 0.005, 0.01][step];
    const { x, x2, y } = batch(rng, step);
    const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, model.apply(shape.twice ? [x, x2] : x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
    losses.push(value.dataSync()[0]);
    opt.apply(grads, lr);
    tf.dispose([value, x, x2, y, ...Object.values(grads)]);
    if (step === 0) tensors = tf.memory().numTensors; // Adam's slots are made on the first step
  }
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks over the steps');
  const probe = tf.tidy(() => (model.predict(shape.twice ? [tf.ones([2, 40]), tf.ones([2, 40])] : tf.ones([2, 40])) as tf.Tensor).dataSync().slice());
  streamed?.restore();
  const probeAfter = tf.tidy(() => (model.predict(shape.twice ? [tf.ones([2, 40]), tf.ones([2, 40])] : tf.ones([2, 40])) as tf.Tensor).dataSync().slice());
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

test('a layer applied twice in a step (a pair) gets the sum of both gradients; a layer without bias streams too', async () => {
  for (const shape of [{ twice: true }, { twice: true, front: true, bias: false }, { front: true, bias: false }]) {
    const plain = await train(null, { name: 'adam' }, shape);
    const streamed = await train({ blockFloats: 100 }, { name: 'adam' }, shape);
    assert.deepEqual(streamed.losses, plain.losses, JSON.stringify(shape));
    assert.deepEqual(streamed.weights, plain.weights, JSON.stringify(shape));
  }
});

test('a first layer without bias, whose backward step the tape skips, is an error at the update, never a frozen kernel', async () => {
  await assert.rejects(train({ blockFloats: 100 }, { name: 'adam' }, { bias: false }), /the tape skipped it; train it with streamLargeUpdates: false/);
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
  const pair = buildModel(12, { twice: true });
  const pairOpt = new Optimizer(pair.trainableWeights.map((w) => w.read() as tf.Variable), { name: 'adam' });
  const found = streamLargeDenseUpdates(pair, pairOpt, { minWeights: 960 })!;
  assert.deepEqual(found.layers.map((l) => l.shape), [[40, 24]], 'a layer of a model applied twice is found once');
  found.restore();
  pairOpt.dispose();
  pair.dispose();
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
  opt.apply(grads, 0.01);
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

test('the trainer streams a qualifying layer, says so, and ends with the same weights as without it (batch and pair losses)', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const quiet = { progress: 'none' as const };
  // the default embedding loss embeds the batch once; a pair loss runs the network on a, then on b
  for (const extra of [{}, { loss: { name: 'contrastive' as const, margin: 1, pairs: 'given' as const } }]) {
    const logs: string[] = [];
    const config = tinyConfig(dir, { epochs: 1, augment: 'none', workers: 1, ...extra });
    const off = await runExperiment(config, { ...quiet, log: () => undefined, runsDir: tempRuns(), streamLargeUpdates: false });
    const on = await runExperiment(config, { ...quiet, log: (l) => void logs.push(l), runsDir: tempRuns(), streamLargeUpdates: { minWeights: 1, blockFloats: 40 } });
    assert.ok(logs.some((l) => /block by block/.test(l)), logs.join('\n'));
    assert.deepEqual(on.history.map((h) => h.trainLoss), off.history.map((h) => h.trainLoss), JSON.stringify(extra));
    assert.deepEqual(weightsOf(on.dir), weightsOf(off.dir), JSON.stringify(extra));
  }
  // workers: 2 on a network with a streamable layer trains on one thread, streamed, and says why
  const logs: string[] = [];
  const config = tinyConfig(dir, { epochs: 1, augment: 'none', workers: 1 });
  const one = await runExperiment(config, { ...quiet, log: () => undefined, runsDir: tempRuns(), streamLargeUpdates: false });
  const two = await runExperiment({ ...config, workers: 2 }, { ...quiet, log: (l) => void logs.push(l), runsDir: tempRuns(), streamLargeUpdates: { minWeights: 1 } });
  assert.ok(logs.some((l) => /workers 2: .* only one thread can do .* trains on one thread/.test(l)) && !logs.some((l) => /training on 2 threads/.test(l)), logs.join('\n'));
  assert.deepEqual(weightsOf(two.dir), weightsOf(one.dir));
});
