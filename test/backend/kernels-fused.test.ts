/**
 * The fused, step-level wasm kernels (lib/backend/kernels/fused-ops.ts and the fused set in
 * training-kernels.ts) against tfjs's own ops on the cpu backend: training-mode batch norm and hard swish
 * (values and gradients), ReLU's gradient, MaxPoolGrad (ties included), inner-axis Sum/Mean, copy-free Identity
 * and same-type Cast, Transform, Concat, inference FusedBatchNorm and per-channel Add/Sub/Multiply/RealDiv (bit for bit
 * tfjs-backend-wasm's own), the
 * layers that use them (FreezableBatchNorm, HardSwish) and a whole workshop-CNN gradient; plus leak
 * checks and the SIAMESE_WASM_FUSED switch. Same error measure as kernels.test.ts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, activeWasmKernels, registerWasmKernels, inPlaceAdam } from '../../lib/backend';
import { fusedBatchNormTraining, fusedHardSwish, parseFusedChoice } from '../../lib/backend/kernels';
import { COLOUR_STAGE } from '../../lib/backend/kernels/fused-ops';
import { applyAugment } from '../../lib/augment';
import { IDENTITY_PARAMS, type AugmentParams } from '../../lib/augment/params';
import { FreezableBatchNorm, freezableBatchNorm } from '../../lib/models/layers/freezable-batch-norm';
import { hardSwish } from '../../lib/models/layers/hard-swish';
import { workshopCnn } from '../../lib/models';
import { contrastiveLoss } from '../../lib/losses';
import { Rng } from '../../lib/util/rng';
import { assertFlatOver } from './leaks';

before(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

function randomArray(rng: Rng, n: number, scale = 1, offset = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = offset + scale * rng.normal();
  return a;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function assertClose(label: string, ours: Float32Array, ref: Float32Array, tol = 1e-4): void {
  assert.equal(ours.length, ref.length, `${label}: length`);
  let num = 0, den = 0, refMax = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (ours[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
    refMax = Math.max(refMax, Math.abs(ref[i]));
  }
  const atol = tol * refMax + 1e-6;
  for (let i = 0; i < ref.length; i++) {
    if (!(Math.abs(ours[i] - ref[i]) <= atol)) assert.fail(`${label}: element ${i} is ${ours[i]}, cpu ${ref[i]} (tolerance ${atol})`);
  }
  const rel = Math.sqrt(num) / (Math.sqrt(den) + 1e-6);
  assert.ok(rel < tol, `${label}: relative error ${rel}`);
}

async function onBackend(backend: 'cpu' | 'wasm', inputs: { values: Float32Array; shape: number[] }[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  try {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape, 'float32'));
    const outs = fn(...xs);
    const values = outs.map((o) => o.dataSync().slice() as Float32Array);
    tf.dispose([...xs, ...outs]);
    return values;
  } finally {
    await tf.setBackend('wasm');
  }
}

/** tfjs-layers' training-mode batch norm, on any backend. */
function referenceBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor[] {
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  return [tf.batchNorm(x, mean, variance, beta, gamma, eps), mean, variance];
}

test('the fused set is registered by default and SIAMESE_WASM_FUSED=off leaves it out', () => {
  const reg = activeWasmKernels();
  assert.ok(reg !== null && reg.fused);
  for (const name of ['SiameseBatchNormTrain', 'SiameseBatchNormTrainGrad', 'SiameseHardSwish', 'SiameseHardSwishGrad', 'SiameseReluGrad', 'Identity', 'Cast',
    'MaxPoolGrad', 'Slice', 'Conv2D', 'FusedConv2D', '_FusedMatMul', 'DepthwiseConv2dNative', 'PadV2', 'Transform', 'Concat', 'FusedBatchNorm', 'Add', 'Sub', 'Multiply', 'RealDiv', 'SiameseColourStage']) {
    assert.ok(reg.registered.includes(name), `${name} registered`);
  }
  assert.equal(parseFusedChoice(undefined), true);
  assert.equal(parseFusedChoice('off'), false);
  assert.throws(() => parseFusedChoice('maybe'), /SIAMESE_WASM_FUSED="maybe"/);
  try {
    registerWasmKernels('auto', false);
    assert.equal(activeWasmKernels()!.fused, false);
    assert.equal(tf.getKernel('SiameseBatchNormTrain', 'wasm'), undefined);
    const x = tf.ones([2, 3]);
    assert.equal(fusedBatchNormTraining(x, tf.ones([3]), tf.zeros([3]), 1e-3), null);
    assert.equal(fusedHardSwish(x), null);
    // ReLU's gradient falls back to tfjs-core's formula when its kernel is not registered
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(tf.tensor1d([-1, 0, 2]));
    assert.deepEqual(Array.from(g.dataSync()), [0, 0, 1]);
    tf.disposeVariables();
  } finally {
    registerWasmKernels('auto', true);
  }
  assert.ok(activeWasmKernels()!.fused);
});

test('fused batch norm: outputs, batch statistics and gradients (x, gamma, beta) match tfjs ops on cpu', async () => {
  for (const shape of [[2, 5, 7, 6], [3, 16], [1, 3, 3, 8], [4, 9, 9, 13], [600, 5]]) {
    const rng = new Rng(`bn ${shape}`);
    const C = shape[shape.length - 1];
    const x = { values: randomArray(rng, size(shape), 2, 0.5), shape };
    const gamma = { values: randomArray(rng, C, 0.5, 1), shape: [C] };
    const beta = { values: randomArray(rng, C), shape: [C] };
    const r = { values: randomArray(rng, size(shape)), shape };
    const run = (fused: boolean) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, rt: tf.Tensor) => {
      const outs = fused ? fusedBatchNormTraining(a, g, b, 1e-5)! : referenceBatchNorm(a, g, b, 1e-5);
      const loss = (p: tf.Tensor, q: tf.Tensor, s: tf.Tensor) => {
        const [y] = fused ? fusedBatchNormTraining(p, q, s, 1e-5)! : referenceBatchNorm(p, q, s, 1e-5);
        return tf.sum(tf.mul(y, rt));
      };
      return [...outs, ...tf.grads(loss)([a, g, b])];
    };
    const ours = await onBackend('wasm', [x, gamma, beta, r], run(true));
    const ref = await onBackend('cpu', [x, gamma, beta, r], run(false));
    ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((what, i) => assertClose(`[${shape}] ${what}`, ours[i], ref[i]));
  }
});

test('fused batch norm statistics in one read: a large mean and a small spread keep the variance (float64 reference)', () => {
  // x = 300 + 0.01·N(0, 1), over more rows than one block of the one-read statistics (bn_stats merges blocks)
  const rng = new Rng('bn stats');
  for (const [rows, C] of [[5000, 5], [777, 40], [3, 1]]) {
    const values = randomArray(rng, rows * C, 0.01, 300);
    const [y, mean, variance] = fusedBatchNormTraining(tf.tensor2d(values, [rows, C]), tf.ones([C]), tf.zeros([C]), 1e-12)!;
    const m = mean.dataSync(), v = variance.dataSync();
    for (let c = 0; c < C; c++) {
      let s = 0, s2 = 0;
      for (let r = 0; r < rows; r++) s += values[r * C + c];
      const mu = s / rows;
      for (let r = 0; r < rows; r++) s2 += (values[r * C + c] - mu) ** 2;
      const want = s2 / rows;
      assert.ok(Math.abs(m[c] - mu) <= 1e-6 * 300, `[${rows}, ${C}] mean ${c}: ${m[c]} vs ${mu}`);
      assert.ok(Math.abs(v[c] - want) <= 2e-3 * want + 1e-12, `[${rows}, ${C}] variance ${c}: ${v[c]} vs ${want}`);
    }
    tf.dispose([y, mean, variance]);
  }
});

test('fused batch norm carrying ReLU or hard swish after it, or a ReLU before it (conv -> ReLU -> BN): values and gradients match the separate ops on cpu', async () => {
  const hsRef = (t: tf.Tensor) => tf.mul(t, tf.div(tf.relu6(tf.add(t, 3)), 6));
  const cases = [[null, 'relu'], [null, 'hardSwish'], ['relu', null], ['relu', 'relu'], ['relu', 'hardSwish']] as const;
  for (const [inputActivation, activation] of cases) {
    const label = `${inputActivation ?? 'no'} ReLU before, ${activation ?? 'nothing'} after`;
    // odd channel counts (vector tails), one row, and a shape with more than 512 rows (several blocks of sums)
    for (const shape of [[2, 5, 7, 6], [3, 16], [1, 1, 3, 5], [4, 9, 9, 13], [600, 7]]) {
      const rng = new Rng(inputActivation === null ? `bn ${activation} ${shape}` : `bn relu-in ${activation} ${shape}`);
      const C = shape[shape.length - 1];
      const x = { values: randomArray(rng, size(shape), 2, 0.5), shape };
      if (inputActivation !== null) x.values[0] = 0; // ReLU's kink: step(0) = 0, so this element gets no gradient
      // gamma up to about 4 and beta up to about +-3 put normalised values on both sides of hard swish's kinks
      const gamma = { values: randomArray(rng, C, 1.5, 1), shape: [C] };
      const beta = { values: randomArray(rng, C, 1.5), shape: [C] };
      const r = { values: randomArray(rng, size(shape)), shape };
      const before = (t: tf.Tensor) => (inputActivation === null ? t : tf.relu(t));
      const after = (t: tf.Tensor) => (activation === null ? t : activation === 'relu' ? tf.relu(t) : hsRef(t));
      const bn = (fused: boolean, p: tf.Tensor, q: tf.Tensor, s: tf.Tensor): tf.Tensor[] => {
        if (fused) return fusedBatchNormTraining(p, q, s, 1e-5, activation, inputActivation)!;
        const [z, mean, variance] = referenceBatchNorm(before(p), q, s, 1e-5);
        return [after(z), mean, variance];
      };
      const run = (fused: boolean) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, rt: tf.Tensor) => [
        ...bn(fused, a, g, b),
        ...tf.grads((p: tf.Tensor, q: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(bn(fused, p, q, s)[0], rt)))([a, g, b]),
      ];
      const ours = await onBackend('wasm', [x, gamma, beta, r], run(true));
      const ref = await onBackend('cpu', [x, gamma, beta, r], run(false));
      ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((what, i) => assertClose(`${label} [${shape}] ${what}`, ours[i], ref[i]));
      if (inputActivation === null) {
        // the activation did something: some outputs clipped (ReLU's zeros; hard swish's flat part below -3 on the larger shapes)
        if (activation === 'relu' || size(shape) > 100) assert.ok(ours[0].some((v) => v === 0), `${label} [${shape}]: some outputs are 0`);
      } else {
        assert.ok(ours[3][0] === 0, 'no gradient through ReLU at 0');
        assert.ok(ours[3].some((v, i) => v === 0 && x.values[i] < 0), 'negative inputs get no gradient');
      }
    }
  }
  assert.throws(() => fusedBatchNormTraining(tf.ones([2, 3]), tf.ones([3]), tf.zeros([3]), 1e-3, 'gelu' as never), /activation must be "relu" or "hardSwish", got "gelu"/);
  assert.throws(() => fusedBatchNormTraining(tf.ones([2, 3]), tf.ones([3]), tf.zeros([3]), 1e-3, null, 'hardSwish' as never), /inputActivation must be "relu", got "hardSwish"/);
});

test('fused batch norm with an activation: the same bits as the batch norm kernel then the activation kernels, gradients too', async () => {
  const rng = new Rng('bn act bits');
  const shape = [3, 6, 5, 11];
  const C = 11;
  const x = tf.tensor(randomArray(rng, size(shape), 2, 0.5), shape);
  const gamma = tf.tensor1d(randomArray(rng, C, 1.5, 1)), beta = tf.tensor1d(randomArray(rng, C, 1.5));
  const r = tf.tensor(randomArray(rng, size(shape)), shape);
  for (const activation of ['relu', 'hardSwish'] as const) {
    const act = (t: tf.Tensor) => (activation === 'relu' ? tf.relu(t) : fusedHardSwish(t)!);
    const loss = (fused: boolean) => (p: tf.Tensor, q: tf.Tensor, s: tf.Tensor) =>
      tf.sum(tf.mul(fused ? fusedBatchNormTraining(p, q, s, 1e-3, activation)![0] : act(fusedBatchNormTraining(p, q, s, 1e-3)![0]), r));
    const bits = (fused: boolean) => tf.tidy(() => {
      const y = fused ? fusedBatchNormTraining(x, gamma, beta, 1e-3, activation)![0] : act(fusedBatchNormTraining(x, gamma, beta, 1e-3)![0]);
      return [y, ...tf.grads(loss(fused))([x, gamma, beta])].map((t) => Array.from(t.dataSync()));
    });
    const [one, two] = [bits(true), bits(false)];
    ['y', 'dx', 'dgamma', 'dbeta'].forEach((what, i) => {
      one[i].forEach((v, j) => assert.ok(Object.is(v, two[i][j]) || (v === 0 && two[i][j] === 0), `${activation} ${what}[${j}]: ${v} vs ${two[i][j]}`));
    });
  }
  tf.dispose([x, gamma, beta, r]);
});

test('fused hard swish: values and gradient match tfjs ops on cpu, kinks at -3, 0 and 3 included', async () => {
  const rng = new Rng('hswish');
  const n = 4 * 7 * 7 * 5;
  const values = randomArray(rng, n, 3);
  values.set([-3, 3, 0, -3.0000002, 2.9999998, -6, 6], 0);
  const x = { values, shape: [4, 7, 7, 5] };
  const r = { values: randomArray(rng, n), shape: [4, 7, 7, 5] };
  const ref = (t: tf.Tensor) => tf.mul(t, tf.div(tf.relu6(tf.add(t, 3)), 6));
  const run = (fused: boolean) => (a: tf.Tensor, rt: tf.Tensor) => {
    const f = (t: tf.Tensor) => (fused ? fusedHardSwish(t)! : ref(t));
    return [f(a), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), rt)))(a)];
  };
  const ours = await onBackend('wasm', [x, r], run(true));
  const cpu = await onBackend('cpu', [x, r], run(false));
  assertClose('hard swish y', ours[0], cpu[0]);
  assertClose('hard swish dx', ours[1], cpu[1]);
});

test('ReLU\'s gradient is one kernel, bit for bit tfjs-core\'s mul(dy, cast(step(x))) on wasm and cpu: zeros, NaN, odd sizes', async () => {
  const rng = new Rng('relu-grad');
  for (const shape of [[1], [3], [5], [2, 7, 7, 3], [4, 9, 9, 16]]) {
    const n = size(shape);
    const values = randomArray(rng, n);
    const special = [0, -0, NaN, 1e-30, -1e-30, Infinity, -Infinity];
    for (let i = 0; i < Math.min(n, special.length); i++) values[(i * 7) % n] = special[i];
    const dyValues = randomArray(rng, n);
    if (n > 2) dyValues[1] = NaN;
    const x = { values, shape }, dy = { values: dyValues, shape };
    const ours = (a: tf.Tensor, d: tf.Tensor) => [tf.grad((t: tf.Tensor) => tf.relu(t))(a, d)];
    const formula = (a: tf.Tensor, d: tf.Tensor) => [tf.mul(d, tf.cast(tf.step(a), 'float32'))];
    const wasmOurs = await onBackend('wasm', [x, dy], ours);
    const wasmFormula = await onBackend('wasm', [x, dy], formula);
    const cpuOurs = await onBackend('cpu', [x, dy], ours);
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    assert.deepEqual(bits(wasmOurs[0]), bits(wasmFormula[0]), `[${shape}]: the kernel equals the formula on wasm, bit for bit`);
    assert.deepEqual(bits(cpuOurs[0]), bits(wasmFormula[0]), `[${shape}]: and cpu's gradient`);
  }
  const before = tf.memory().numTensors;
  const kernels: string[] = [];
  const prof = await tf.profile(() => {
    const x = tf.tensor1d([-1, 2, 3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(x);
    tf.dispose([x, g]);
  });
  for (const k of prof.kernels) kernels.push(k.name);
  assert.ok(kernels.includes('SiameseReluGrad') && !kernels.includes('Step'), `one kernel, no Step: ${kernels.join(', ')}`);
  assert.equal(tf.memory().numTensors, before, 'no leak');
});

test('Cast to the same dtype shares the buffer; a real conversion still converts; an in-place Adam step leaves the cast intact', () => {
  const x = tf.tensor1d([1.5, -2.25, 3]);
  const buffers = () => (tf.memory() as tf.MemoryInfo & { numDataBuffers: number }).numDataBuffers;
  const before = buffers();
  const same = tf.cast(x, 'float32');
  assert.equal(buffers(), before, 'no buffer allocated');
  assert.deepEqual(Array.from(same.dataSync()), [1.5, -2.25, 3]);
  const asInt = tf.cast(x, 'int32');
  assert.equal(asInt.dtype, 'int32');
  assert.deepEqual(Array.from(asInt.dataSync()), [1, -2, 3]);
  const back = tf.cast(asInt, 'float32');
  assert.deepEqual(Array.from(back.dataSync()), [1, -2, 3]);
  const v = tf.variable(tf.tensor1d([1, 2, 3]), true, 'castAdamCheck');
  const c = tf.cast(v, 'float32');
  const opt = inPlaceAdam(0.1);
  const g = tf.tensor1d([1, 1, 1]);
  opt.applyGradients({ [v.name]: g });
  assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3], 'the cast kept the old values');
  assert.ok(Math.abs(v.dataSync()[0] - 0.9) < 1e-5, `the variable moved: ${v.dataSync()[0]}`);
  tf.dispose([x, same, asInt, back, c, g, v]);
  opt.dispose();
});

test('Sum and Mean gradients broadcast dy (no full-size ones): the same values as tfjs-core\'s formula', async () => {
  const rng = new Rng('sum mean grad');
  const shape = [3, 5, 4, 6];
  const x = { values: randomArray(rng, size(shape)), shape };
  for (const [mean, axes, keepDims] of [[true, [1, 2], false], [true, [1, 2], true], [false, [0], false], [true, [0, 3], false], [false, [3], true]] as const) {
    const reduced = shape.map((d, i) => ((axes as readonly number[]).includes(i) ? 1 : d));
    const count = (axes as readonly number[]).reduce((n, a) => n * shape[a], 1);
    const r = { values: randomArray(rng, size(reduced)), shape: reduced };
    const grad = (a: tf.Tensor, rt: tf.Tensor) => [tf.grad((t: tf.Tensor) => {
      const y = mean ? tf.mean(t, [...axes], keepDims) : tf.sum(t, [...axes], keepDims);
      return tf.sum(tf.mul(y, tf.reshape(rt, y.shape)));
    })(a)];
    const formula = (_: tf.Tensor, rt: tf.Tensor) => {
      const g = tf.mul(rt, tf.ones(shape, 'float32'));
      return [mean ? tf.div(g, count) : g];
    };
    const label = `${mean ? 'mean' : 'sum'} axes [${axes}] keepDims ${keepDims}`;
    const ours = (await onBackend('wasm', [x, r], grad))[0];
    assert.deepEqual(ours, (await onBackend('cpu', [x, r], formula))[0], label);
    assert.deepEqual((await onBackend('cpu', [x, r], grad))[0], ours, `${label} on cpu`);
  }
});

test('MaxPoolGrad matches cpu: 2x2/2 valid, 3x3/2 same, 3x3/1 same, odd sizes, tied maxima', async () => {
  const cases: [number[], number, number, 'valid' | 'same', boolean][] = [
    [[2, 8, 8, 8], 2, 2, 'valid', false], [[3, 7, 9, 5], 3, 2, 'same', false], [[1, 6, 5, 12], 3, 1, 'same', false],
    [[2, 9, 9, 6], 2, 2, 'valid', true], [[2, 5, 5, 7], 3, 2, 'same', true],
  ];
  for (const [shape, k, s, pad, ties] of cases) {
    const rng = new Rng(`pool ${shape} ${k} ${s} ${pad}`);
    const values = randomArray(rng, size(shape));
    // Ties: few distinct values (relu-like zeros), so the first-maximum rule decides.
    if (ties) for (let i = 0; i < values.length; i++) values[i] = Math.max(0, Math.round(values[i]));
    const x = { values, shape };
    const outShape = tf.tidy(() => tf.maxPool(tf.zeros(shape) as tf.Tensor4D, k, s, pad).shape);
    const r = { values: randomArray(rng, size(outShape)), shape: outShape };
    const run = (a: tf.Tensor, rt: tf.Tensor) => [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, k, s, pad), rt)))(a)];
    const ours = await onBackend('wasm', [x, r], run);
    const cpu = await onBackend('cpu', [x, r], run);
    assertClose(`maxPool ${k}x${k}/${s} ${pad} [${shape}]${ties ? ' ties' : ''}`, ours[0], cpu[0]);
  }
});

/** `run` on wasm with the project's kernels and with tfjs-backend-wasm's own (the fused set off): each result's bits. */
function bothWays(run: () => tf.Tensor): [Int32Array, Int32Array, number[], number[]] {
  const bits = () => {
    const y = run();
    const v = new Int32Array(y.dataSync().slice().buffer);
    const shape = y.shape;
    y.dispose();
    return { v, shape };
  };
  const ours = bits();
  try {
    registerWasmKernels('auto', false);
    const ref = bits();
    return [ours.v, ref.v, ours.shape, ref.shape];
  } finally {
    registerWasmKernels('auto', true);
  }
}

function assertSameBits(label: string, [ours, ref, oursShape, refShape]: [Int32Array, Int32Array, number[], number[]]): void {
  assert.deepEqual(oursShape, refShape, `${label}: shape`);
  assert.equal(ours.length, ref.length, `${label}: length`);
  for (let i = 0; i < ref.length; i++) {
    if (ours[i] !== ref[i]) assert.fail(`${label}: element ${i} has bits ${ours[i]}, tfjs-backend-wasm ${ref[i]}`);
  }
}

test('Transform equals tfjs-backend-wasm\'s own bit for bit: bilinear and nearest, constant / nearest / wrap fill, projective, odd sizes', () => {
  const rng = new Rng(31);
  const cases: { shape: [number, number, number, number]; out?: [number, number] }[] = [
    { shape: [5, 64, 64, 3] }, { shape: [3, 7, 11, 1] }, { shape: [2, 9, 6, 4], out: [12, 5] }, { shape: [1, 1, 1, 3] },
    // RGB with affine matrices takes the vectorised path (four pixels' coordinates at once): odd sizes, another output size
    { shape: [4, 33, 37, 3], out: [31, 41] }, { shape: [2, 5, 2, 3], out: [6, 9] },
  ];
  for (const { shape, out } of cases) {
    const [n, h, w] = shape;
    const x = tf.tensor4d(randomArray(rng, size(shape)), shape);
    const rows: number[] = [];
    for (let i = 0; i < n; i++) {
      // rotations, scalings, shifts past the border, a flip, and (every third image) a perspective term
      const a = rng.uniform(-0.6, 0.6), sc = rng.uniform(0.6, 1.5);
      const persp = i % 3 === 2 ? [rng.uniform(-0.02, 0.02), rng.uniform(-0.02, 0.02)] : [0, 0];
      const flip = i % 4 === 1 ? -1 : 1;
      rows.push(flip * sc * Math.cos(a), -sc * Math.sin(a), rng.uniform(-w, w), sc * Math.sin(a), sc * Math.cos(a), rng.uniform(-h, h), ...persp);
    }
    if (n > 1) rows.splice(0, 8, 1, 0, 0, 0, 1, 0, 0, 0); // an identity among them
    for (const batchMatrices of [true, false]) {
      const m = batchMatrices ? tf.tensor2d(rows, [n, 8]) : tf.tensor2d(rows.slice(0, 8), [1, 8]);
      for (const interpolation of ['bilinear', 'nearest'] as const) {
        for (const fill of ['constant', 'nearest', 'wrap'] as const) {
          assertSameBits(`[${shape}] ${interpolation} ${fill} ${batchMatrices ? 'per-image' : 'shared'} matrix`,
            bothWays(() => tf.image.transform(x, m, interpolation, fill, 0.25, out)));
        }
      }
      m.dispose();
    }
    x.dispose();
  }
});

test('the colour stages (brightness, contrast, saturation with each pixel\'s luma computed in the kernel, contrast and saturation in one pass, grayscale, noise) equal tfjs ops bit for bit, RGB and grey, odd sizes', () => {
  const rng = new Rng(37);
  const kernel = tf.getKernel(COLOUR_STAGE, 'wasm');
  assert.ok(kernel, 'the colour kernel is registered');
  const viaOps = (x: tf.Tensor4D, params: AugmentParams[]) => {
    tf.unregisterKernel(COLOUR_STAGE, 'wasm');
    try {
      return tf.tidy(() => applyAugment(x, params).dataSync() as Float32Array);
    } finally {
      tf.registerKernel(kernel!);
    }
  };
  const random = (n: number): AugmentParams[] => Array.from({ length: n }, () => ({
    ...IDENTITY_PARAMS,
    rotate: rng.uniform(0, 1) < 0.3 ? rng.uniform(-0.3, 0.3) : 0,
    brightness: rng.uniform(0, 1) < 0.5 ? rng.uniform(0.6, 1.4) : 1,
    contrast: rng.uniform(0, 1) < 0.5 ? rng.uniform(0.6, 1.4) : 1,
    saturation: rng.uniform(0, 1) < 0.4 ? rng.uniform(0, 2) : 1,
    grayscale: rng.uniform(0, 1) < 0.15,
    ...(rng.uniform(0, 1) < 0.3 ? { noiseStd: rng.uniform(0.01, 0.2), noiseSeed: 1 + rng.int(1000) } : {}),
  }));
  const only = (n: number, over: Partial<AugmentParams>) => Array.from({ length: n }, (_, i) => ({ ...IDENTITY_PARAMS, ...(i % 2 === 0 ? over : {}) }));
  for (const shape of [[16, 64, 64, 3], [3, 7, 11, 3], [5, 9, 9, 1], [1, 1, 1, 3]] as [number, number, number, number][]) {
    // a hair outside [0, 1] as interpolation leaves it, so every clamp matters
    const x = tf.tensor4d(randomArray(rng, size(shape), 0.35, 0.5), shape);
    const n = shape[0];
    const sets: [string, AugmentParams[]][] = [
      ['random', random(n)], ['brightness', only(n, { brightness: 1.3 })], ['contrast', only(n, { contrast: 0.7 })],
      ['saturation', only(n, { saturation: 1.6 })], ['contrast + saturation (one pass)', only(n, { contrast: 1.3, saturation: 0.4 })],
      ['contrast + grayscale + noise', only(n, { contrast: 0.8, grayscale: true, noiseStd: 0.1, noiseSeed: 3 })],
      ['grayscale + noise', only(n, { grayscale: true, noiseStd: 0.1, noiseSeed: 5 })],
      ['noise only', only(n, { noiseStd: 0.05, noiseSeed: 9 })], ['geometry only', only(n, { rotate: 0.2 })],
    ];
    for (const [label, params] of sets) {
      const ref = viaOps(x, params);
      const before = tf.memory().numTensors;
      const ours = tf.tidy(() => applyAugment(x, params).dataSync() as Float32Array);
      assert.equal(tf.memory().numTensors, before, `${label}: no tensor left`);
      for (let i = 0; i < ref.length; i++) {
        if (!Object.is(ours[i], ref[i])) assert.fail(`[${shape}] ${label}: element ${i} is ${ours[i]}, tfjs ops ${ref[i]}`);
      }
    }
    x.dispose();
  }
});

test('Concat equals tfjs-backend-wasm\'s own bit for bit: every axis, narrow and wide inputs, int32, empty inputs, NaN payloads', () => {
  const rng = new Rng(41);
  const cases: { shapes: number[][]; axis: number; dtype: 'float32' | 'int32' }[] = [
    { shapes: [[1, 9, 7, 1], [1, 9, 7, 1], [1, 9, 7, 1]], axis: 3, dtype: 'float32' }, // colour planes (face-api's detectors)
    { shapes: [[1, 6, 5, 3], [1, 6, 2, 3]], axis: 2, dtype: 'int32' }, // padding a photo to a square
    { shapes: [[2, 4, 4, 70], [2, 4, 4, 5], [2, 4, 4, 64]], axis: 3, dtype: 'float32' }, // wide and narrow together
    { shapes: [[3, 5], [4, 5]], axis: 0, dtype: 'float32' },
    { shapes: [[3, 0], [3, 2], [3, 1]], axis: 1, dtype: 'float32' }, // an empty input
    { shapes: [[2, 3, 130], [2, 1, 130]], axis: -2, dtype: 'int32' },
    { shapes: [[5], [1], [0], [3]], axis: 0, dtype: 'float32' },
  ];
  for (const { shapes, axis, dtype } of cases) {
    const ts = shapes.map((shape) => {
      const v = randomArray(rng, size(shape), 100);
      if (v.length > 2) new Int32Array(v.buffer)[1] = 0x7fc01234; // a NaN with a payload moves as it is
      return dtype === 'int32' ? tf.tensor(Int32Array.from(v, (x) => Math.round(x) || 0), shape, 'int32') : tf.tensor(v, shape, 'float32');
    });
    assertSameBits(`concat ${JSON.stringify(shapes)} axis ${axis} ${dtype}`, bothWays(() => tf.concat(ts, axis)));
    tf.dispose(ts);
  }
  const a = tf.ones([2, 3]), b = tf.zeros([2, 1]);
  const before = tf.memory().numTensors;
  tf.concat([a, b], 1).dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  tf.dispose([a, b]);
});

test('FusedBatchNorm (given statistics) equals tfjs-backend-wasm\'s own bit for bit; broadcast statistics go to the built-in', () => {
  const rng = new Rng(43);
  for (const shape of [[1, 17, 13, 32], [2, 5, 5, 7], [3, 1029], [1, 1, 1, 1], [4, 3, 6]]) {
    const C = shape[shape.length - 1];
    const x = tf.tensor(randomArray(rng, size(shape), 3, 0.5), shape);
    const mean = tf.tensor1d(randomArray(rng, C));
    const variance = tf.tensor1d(Float32Array.from(randomArray(rng, C), (v) => Math.abs(v) + (C > 3 ? 0 : 1e-7)));
    const offset = tf.tensor1d(randomArray(rng, C));
    const scale = tf.tensor1d(randomArray(rng, C, 2));
    for (const eps of [1e-3, 0.0010000000474974513, 1e-5]) {
      assertSameBits(`batchNorm [${shape}] eps ${eps}`, bothWays(() => tf.batchNorm(x, mean, variance, offset, scale, eps)));
    }
    if (C > 1) {
      // statistics of one value each broadcast over the channels: the built-in's case
      const one = tf.tensor1d([0.7]);
      assertSameBits(`batchNorm [${shape}], scalar statistics`, bothWays(() => tf.batchNorm(x, one, tf.tensor1d([2]), one, one, 1e-3)));
      one.dispose();
    }
    tf.dispose([x, mean, variance, offset, scale]);
  }
  // zero variance, NaN and infinities pass through the same arithmetic
  const x = tf.tensor4d([0, NaN, Infinity, -Infinity, 1, -1, 3e38, -0], [1, 1, 2, 4]);
  const stats = [tf.tensor1d([0, 1, -1, 2]), tf.tensor1d([0, 1, 4, 0]), tf.tensor1d([1, 0, -2, 0.5]), tf.tensor1d([1, 3, 0, -1])] as const;
  assertSameBits('batchNorm special values', bothWays(() => tf.batchNorm(x, stats[0], stats[1], stats[2], stats[3], 0)));
  tf.dispose([x, ...stats]);
});

test('Add, Sub, Multiply and RealDiv by a per-channel constant equal tfjs-backend-wasm\'s own bit for bit; other shapes go to the built-in', () => {
  const rng = new Rng(47);
  const ops = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div } as const;
  const cases: { x: number[]; y: number[] }[] = [
    { x: [3, 7, 5, 3], y: [3] }, // ImageNet normalisation of RGB images
    { x: [2, 4, 4, 3], y: [1, 1, 1, 3] },
    { x: [5, 1], y: [1] },
    { x: [2, 3, 16], y: [16] },
    { x: [1, 5, 7], y: [7] }, // 35 values: a scalar tail after the SIMD blocks
    { x: [4, 17], y: [17] }, // 17 channels: the built-in's case
    { x: [2, 3], y: [2, 1] }, // a column, not a per-channel constant
    { x: [3], y: [3] }, // one row: the built-in's case
  ];
  for (const { x: xs, y: ys } of cases) {
    const x = tf.tensor(randomArray(rng, size(xs), 2), xs);
    const y = tf.tensor(Float32Array.from(randomArray(rng, size(ys)), (v) => v + (v >= 0 ? 0.5 : -0.5)), ys);
    for (const [name, op] of Object.entries(ops)) {
      assertSameBits(`${name} [${xs}] by [${ys}]`, bothWays(() => op(x, y)));
    }
    tf.dispose([x, y]);
  }
  // zeros, infinities and NaN through each operation
  const x = tf.tensor2d([0, -0, Infinity, -Infinity, NaN, 1, -1, 3e38, 1e-38], [3, 3]);
  const y = tf.tensor1d([0, -Infinity, 1e-39]);
  for (const [name, op] of Object.entries(ops)) assertSameBits(`${name} special values`, bothWays(() => op(x, y)));
  tf.dispose([x, y]);
});

test('Transform leaves reflect fill to the built-in kernel and keeps tensors flat', () => {
  const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
  const m = tf.tensor2d([1, 0, 1.5, 0, 1, 0, 0, 0], [1, 8]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) tf.tidy(() => { tf.image.transform(x, m, 'bilinear', 'constant', 0); });
  assert.equal(tf.memory().numTensors, before);
  const y = tf.image.transform(x, m, 'bilinear', 'reflect');
  assert.deepEqual(y.shape, [1, 4, 4, 1]);
  tf.dispose([x, m, y]);
});

test('Sum and Mean over inner axes (global pooling, squeeze-excite) match cpu', async () => {
  for (const [shape, axes] of [[[3, 5, 7, 6], [1, 2]], [[2, 4, 3, 9], [1]], [[4, 6, 5], [1]], [[2, 3, 4, 5], [2]]] as [number[], number[]][]) {
    const rng = new Rng(`inner ${shape}`);
    const x = { values: randomArray(rng, size(shape)), shape };
    const run = (a: tf.Tensor) => [tf.sum(a, axes), tf.mean(a, axes, true)];
    const ours = await onBackend('wasm', [x], run);
    const cpu = await onBackend('cpu', [x], run);
    assertClose(`sum [${shape}] axes ${axes}`, ours[0], cpu[0]);
    assertClose(`mean keepDims [${shape}] axes ${axes}`, ours[1], cpu[1]);
  }
});

test('Sum and Mean over H and W of 1-3 channels (an image\'s channel means) keep the kernel\'s order bit for bit: blocks of 512 rows, each summed in turn', () => {
  const rng = new Rng(53);
  for (const shape of [[2, 40, 30, 3], [1, 23, 23, 1], [3, 17, 61, 2], [1, 1, 1, 3], [2, 32, 33, 3]]) {
    const [n, h, w, c] = shape;
    const values = randomArray(rng, size(shape), 3, 0.5);
    const x = tf.tensor4d(values, shape as [number, number, number, number]);
    const f = Math.fround;
    for (const mean of [false, true]) {
      const y = (mean ? tf.mean(x, [1, 2]) : tf.sum(x, [1, 2])).dataSync();
      for (let i = 0; i < n; i++) {
        for (let ch = 0; ch < c; ch++) {
          let total = 0;
          for (let r0 = 0; r0 < h * w; r0 += 512) {
            let block = 0;
            for (let r = r0; r < Math.min(h * w, r0 + 512); r++) block = f(block + values[(i * h * w + r) * c + ch]);
            total = f(total + block);
          }
          const want = mean ? f(total * f(1 / (h * w))) : total;
          if (!Object.is(y[i * c + ch], want)) assert.fail(`${mean ? 'mean' : 'sum'} [${shape}] image ${i} channel ${ch}: ${y[i * c + ch]}, blocked order ${want}`);
        }
      }
    }
    x.dispose();
  }
});

test('Slice (block copies) matches cpu for ranks 1 to 5, partial and whole axes, and the gradient of a spatial pad', async () => {
  const cases: [number[], number[], number[]][] = [
    [[10], [3], [5]], [[4, 7], [1, 2], [2, 5]], [[4, 7], [1, 0], [3, 7]], [[3, 9, 9, 5], [0, 1, 1, 0], [3, 7, 7, 5]],
    [[3, 9, 9, 5], [1, 0, 2, 1], [2, 9, 6, 3]], [[2, 3, 4, 5, 6], [1, 1, 0, 2, 0], [1, 2, 4, 3, 6]], [[2, 5, 5, 4], [0, 0, 0, 0], [2, 5, 5, 4]],
  ];
  for (const [shape, begin, sz] of cases) {
    const rng = new Rng(`slice ${shape} ${begin}`);
    const x = { values: randomArray(rng, size(shape)), shape };
    const run = (a: tf.Tensor) => [tf.slice(a, begin, sz)];
    const ours = await onBackend('wasm', [x], run);
    const cpu = await onBackend('cpu', [x], run);
    assert.deepEqual(Array.from(ours[0]), Array.from(cpu[0]), `slice [${shape}] at [${begin}] size [${sz}]`);
  }
  const rng = new Rng('pad grad');
  const x = { values: randomArray(rng, 2 * 7 * 7 * 6), shape: [2, 7, 7, 6] };
  const r = { values: randomArray(rng, 2 * 10 * 9 * 6), shape: [2, 10, 9, 6] };
  const run = (a: tf.Tensor, rt: tf.Tensor) => [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.pad(t, [[0, 0], [1, 2], [0, 2], [0, 0]]), rt)))(a)];
  const ours = await onBackend('wasm', [x, r], run);
  const cpu = await onBackend('cpu', [x, r], run);
  assert.deepEqual(Array.from(ours[0]), Array.from(cpu[0]), 'pad gradient');
});

test('forward Conv2D / FusedConv2D (bias; linear, relu, relu6; strides, same/valid, dilation) match cpu', async () => {
  const cases: [number[], number[], number, 'same' | 'valid', number, string][] = [
    [[2, 9, 9, 16], [3, 3, 16, 12], 1, 'same', 1, 'relu'], [[3, 8, 7, 24], [5, 5, 24, 10], 2, 'valid', 1, 'linear'],
    [[2, 10, 10, 32], [1, 1, 32, 20], 1, 'same', 1, 'relu6'], [[1, 11, 11, 12], [3, 3, 12, 7], 1, 'same', 2, 'relu'],
    [[2, 6, 6, 3], [5, 5, 3, 8], 1, 'same', 1, 'relu'], // few channels: stays with XNNPACK, checked all the same
  ];
  for (const [xs, ws, s, pad, dil, activation] of cases) {
    const rng = new Rng(`fwd ${xs} ${ws}`);
    const x = { values: randomArray(rng, size(xs)), shape: xs };
    const w = { values: randomArray(rng, size(ws)), shape: ws };
    const b = { values: randomArray(rng, ws[3]), shape: [ws[3]] };
    const run = (a: tf.Tensor, f: tf.Tensor, bias: tf.Tensor) => [
      tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, s, pad, 'NHWC', dil),
      tf.fused.conv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, bias, strides: s, pad, dilations: dil,
        activation: activation as 'relu' }),
    ];
    const ours = await onBackend('wasm', [x, w, b], run);
    const cpu = await onBackend('cpu', [x, w, b], run);
    assertClose(`conv2d [${xs}] * [${ws}] s${s} ${pad} d${dil}`, ours[0], cpu[0]);
    assertClose(`fused conv2d ${activation} [${xs}] * [${ws}]`, ours[1], cpu[1]);
  }
});

test('_FusedMatMul (Dense: bias; linear, relu, relu6; transposes) matches cpu', async () => {
  for (const [m, k, n, tA, tB, activation] of [[5, 7, 9, false, false, 'relu'], [4, 33, 6, true, false, 'linear'], [8, 16, 5, false, true, 'relu6'],
    [3, 10, 12, true, true, 'relu']] as [number, number, number, boolean, boolean, string][]) {
    const rng = new Rng(`fmm ${m} ${k} ${n}`);
    const a = { values: randomArray(rng, m * k), shape: tA ? [k, m] : [m, k] };
    const b = { values: randomArray(rng, k * n), shape: tB ? [n, k] : [k, n] };
    const bias = { values: randomArray(rng, n), shape: [n] };
    const run = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => [tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: z,
      transposeA: tA, transposeB: tB, activation: activation as 'relu' })];
    const ours = await onBackend('wasm', [a, b, bias], run);
    const cpu = await onBackend('cpu', [a, b, bias], run);
    assertClose(`fused matMul ${m}x${k}x${n} tA=${tA} tB=${tB} ${activation}`, ours[0], cpu[0]);
  }
});

test('Identity shares the buffer, and an in-place Adam step on a variable leaves its clones intact', () => {
  const v = tf.variable(tf.tensor1d([1, 2, 3, 4, 5]), true, 'identityAdamCheck');
  const before = (tf.memory() as tf.MemoryInfo & { numDataBuffers: number }).numDataBuffers;
  const c = tf.clone(v);
  assert.equal((tf.memory() as tf.MemoryInfo & { numDataBuffers: number }).numDataBuffers, before, 'clone allocates no buffer');
  const opt = inPlaceAdam(0.1);
  const g = tf.tensor1d([1, 1, 1, 1, 1]);
  opt.applyGradients({ [v.name]: g });
  assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3, 4, 5], 'the clone kept the old values');
  assert.ok(Math.abs(v.dataSync()[0] - 0.9) < 1e-5, `the variable moved: ${v.dataSync()[0]}`);
  tf.dispose([c, g, v]);
  opt.dispose();
});

test('FreezableBatchNorm carrying an activation equals the batch norm layer then the activation layer, training and inference, wasm and cpu; it saves and loads', async () => {
  const rng = new Rng('bn act layer');
  const shape = [4, 6, 6, 10];
  const values = randomArray(rng, size(shape), 1.5, 0.3);
  for (const backend of ['wasm', 'cpu'] as const) {
    await tf.setBackend(backend);
    try {
      for (const activation of ['relu', 'hardSwish', 'relu before'] as const) {
        const config = { epsilon: 1e-3, momentum: 0.9, gammaInitializer: tf.initializers.randomNormal({ mean: 1, stddev: 1, seed: 3 }),
          betaInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 1.5, seed: 4 }) };
        const before = activation === 'relu before';
        const carried = freezableBatchNorm(before ? { ...config, inputActivation: 'relu' } : { ...config, activation });
        const plain = freezableBatchNorm(config);
        const act = activation === 'hardSwish' ? hardSwish() : tf.layers.reLU();
        const xt = tf.tensor(values, shape);
        tf.dispose([carried.apply(xt) as tf.Tensor, plain.apply(xt) as tf.Tensor]); // builds both
        plain.setWeights(carried.getWeights());
        for (const training of [true, false]) {
          const a = carried.apply(xt, { training }) as tf.Tensor;
          const b = before ? plain.apply(act.apply(xt) as tf.Tensor, { training }) as tf.Tensor
            : act.apply(plain.apply(xt, { training }) as tf.Tensor) as tf.Tensor;
          assertClose(`${backend} ${activation} training ${training}`, a.dataSync() as Float32Array, b.dataSync() as Float32Array, 1e-6);
          tf.dispose([a, b]);
        }
        carried.getWeights().forEach((w, i) => assertClose(`${backend} ${activation} weight ${i}`, w.dataSync() as Float32Array,
          plain.getWeights()[i].dataSync() as Float32Array, 1e-6));
        const key = before ? 'inputActivation' : 'activation';
        assert.equal(carried.getConfig()[key], before ? 'relu' : activation);
        assert.equal('activation' in plain.getConfig() || 'inputActivation' in plain.getConfig(), false);
        const copy = FreezableBatchNorm.fromConfig(FreezableBatchNorm, carried.getConfig());
        assert.equal((copy as unknown as Record<string, string>)[key], before ? 'relu' : activation);
        xt.dispose();
        carried.dispose();
        plain.dispose();
      }
    } finally {
      await tf.setBackend('wasm');
    }
  }
  assert.throws(() => freezableBatchNorm({ name: 'bn7', activation: 'tanh' as never }), /FreezableBatchNorm bn7: activation must be "relu", "hardSwish" or null, got "tanh"/);
  assert.throws(() => freezableBatchNorm({ name: 'bn8', inputActivation: 'hardSwish' as never }), /FreezableBatchNorm bn8: inputActivation must be "relu" or null, got "hardSwish"/);
});

test('FreezableBatchNorm (training) and HardSwish layers on wasm match the same layers on cpu, moving statistics too', async () => {
  const rng = new Rng('layers');
  const shape = [4, 6, 6, 10];
  const x = { values: randomArray(rng, size(shape), 1.5, 0.3), shape };
  const run = async (backend: 'cpu' | 'wasm') => {
    await tf.setBackend(backend);
    try {
      const bn = freezableBatchNorm({ epsilon: 1e-5, momentum: 0.9 });
      const hs = hardSwish();
      const xt = tf.tensor(x.values, x.shape);
      const y = hs.apply(bn.apply(xt, { training: true }) as tf.Tensor) as tf.Tensor;
      const out = [y, ...bn.getWeights()].map((t) => t.dataSync().slice() as Float32Array);
      tf.dispose([xt, y]);
      bn.dispose();
      return out;
    } finally {
      await tf.setBackend('wasm');
    }
  };
  const ours = await run('wasm');
  const cpu = await run('cpu');
  ['y', 'gamma', 'beta', 'moving mean', 'moving variance'].forEach((what, i) => assertClose(`layer ${what}`, ours[i], cpu[i]));
});

test('a whole workshop-CNN contrastive gradient (batch norm, ReLU, max pool, dense) agrees with cpu within 1e-4', async () => {
  const grads = async (backend: 'cpu' | 'wasm') => {
    await tf.setBackend(backend);
    try {
      const net = workshopCnn({ inputSize: 16, filters: [8, 12], kernelSizes: [3, 3], embeddingDim: 6, seed: 3 });
      const rng = new Rng('workshop grads');
      const x = tf.tensor(randomArray(rng, 8 * 16 * 16 * 3), [8, 16, 16, 3]);
      const isSame = tf.tensor1d([1, 0, 1, 0]);
      const vars = net.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      const { value, grads: g } = tf.variableGrads(() => {
        const e = net.apply(x, { training: true }) as tf.Tensor2D;
        const [a, b] = tf.split(e, 2) as [tf.Tensor2D, tf.Tensor2D];
        return contrastiveLoss(a, b, isSame) as tf.Scalar;
      }, vars);
      const out = vars.map((v) => g[v.name].dataSync().slice() as Float32Array);
      tf.dispose([value, x, isSame, ...Object.values(g)]);
      net.dispose();
      return out;
    } finally {
      await tf.setBackend('wasm');
    }
  };
  const ours = await grads('wasm');
  const cpu = await grads('cpu');
  let num = 0, den = 0;
  ours.forEach((o, i) => o.forEach((v, j) => { num += (v - cpu[i][j]) ** 2; den += cpu[i][j] ** 2; }));
  const rel = Math.sqrt(num) / (Math.sqrt(den) + 1e-6);
  assert.ok(rel < 1e-4, `whole-model relative error ${rel}`);
});

test('no leaks: a batch-norm / hard-swish / max-pool net fed through Transform keeps tensors and the wasm heap flat over 1,000 steps', async () => {
  const rng = new Rng('fused leaks');
  const x = tf.tensor(randomArray(rng, 4 * 10 * 10 * 3), [4, 10, 10, 3]);
  const w = tf.variable(tf.tensor(randomArray(rng, 3 * 3 * 3 * 8, 0.2), [3, 3, 3, 8]));
  const gamma = tf.variable(tf.ones([8])), beta = tf.variable(tf.zeros([8]));
  const opt = inPlaceAdam(1e-3);
  const shift = tf.tensor2d([1, 0, 0.5, 0, 1, -0.5, 0, 0], [1, 8]);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => {
      const moved = tf.image.transform(x as tf.Tensor4D, shift, 'bilinear', 'nearest');
      const h = tf.conv2d(moved, w, 1, 'same');
      const [y] = fusedBatchNormTraining(h, gamma, beta, 1e-5)!;
      return tf.sum(tf.square(tf.maxPool(fusedHardSwish(y) as tf.Tensor4D, 2, 2, 'valid')));
    });
    opt.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
  };
  await assertFlatOver(1000, step);
  tf.dispose([x, w, gamma, beta, shift]);
  opt.dispose();
});
