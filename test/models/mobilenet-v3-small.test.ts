import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { countParams, makeDivisible, mobileNetV3Small, setBackboneTrainable, summaryRows } from '../../lib/models';
import { stream } from '../../lib/util/streams';
import { assertNoLeak, assertTensorsClose } from '../helpers';

describe('mobileNetV3Small', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it("has torchvision's parameter counts: backbone 927 008, the MobileNetV3 notebook's head 254 656, simple head 164 160", () => {
    assert.equal(countParams(mobileNetV3Small({ head: 'none', inputSize: 96 })).trainable, 927_008);
    assert.equal(countParams(mobileNetV3Small({ head: 'mnv3-notebook', inputSize: 96 })).trainable, 927_008 + 254_656);
    assert.equal(countParams(mobileNetV3Small({ head: 'simple', inputSize: 96 })).trainable, 927_008 + 164_160);
  });

  it('outputs 576 pooled features or 64-d embeddings; the last conv has 576 channels', () => {
    const m = mobileNetV3Small({ head: 'none', inputSize: 64 });
    assert.deepEqual(m.outputs[0].shape, [null, 576]);
    assert.deepEqual(m.getLayer('Conv_1').outputShape, [null, 2, 2, 576]);
    assert.deepEqual(mobileNetV3Small({ head: 'mnv3-notebook', inputSize: 64 }).outputs[0].shape, [null, 64]);
    assert.ok(m.layers.some((l) => l.getClassName() === 'DepthwiseConv2D'));
    assert.ok(m.layers.some((l) => l.name === 'expanded_conv_3_squeeze_excite_Mul'));
    // conv-BN-activation units: the batch norm carries the activation (18 hard swish, 5 ReLU; the 11 projections none)
    const carried = (a: string | null) => m.layers.filter((l) => l.getClassName() === 'FreezableBatchNorm' && (l as unknown as { activation: string | null }).activation === a).length;
    assert.deepEqual([carried('hardSwish'), carried('relu'), carried(null)], [18, 5, 11]);
    assert.equal(m.layers.filter((l) => l.getClassName() === 'HardSwish').length, 0);
    const types = new Map(summaryRows(m).map((r) => [r.layer, r.type]));
    assert.equal(types.get('Conv_BatchNorm'), 'FreezableBatchNorm + hardSwish');
    assert.equal(types.get('expanded_conv_depthwise_BatchNorm'), 'FreezableBatchNorm + relu');
    assert.equal(types.get('expanded_conv_project_BatchNorm'), 'FreezableBatchNorm');
    assert.equal(types.get('Conv'), 'PaddedConv2D');
  });

  it('is seeded: same seed, same weights; another seed, other weights', () => {
    const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 1);
    const cfg = { head: 'simple' as const, inputSize: 32, alpha: 0.5 };
    const y1 = mobileNetV3Small({ ...cfg, seed: 3 }).predict(x) as tf.Tensor;
    const y2 = mobileNetV3Small({ ...cfg, seed: 3 }).predict(x) as tf.Tensor;
    const y3 = mobileNetV3Small({ ...cfg, seed: 4 }).predict(x) as tf.Tensor;
    assertTensorsClose(y2, y1, 0);
    assert.notDeepEqual(Array.from(y3.dataSync()), Array.from(y1.dataSync()));
  });

  it("each conv's kernel is drawn from the first seed of its layer's fork (regular and depthwise, padded or not)", () => {
    const m = mobileNetV3Small({ head: 'none', inputSize: 32, alpha: 0.5, seed: 1 });
    for (const [name, mode] of [['Conv', 'fanOut'], ['expanded_conv_1_expand', 'fanOut'], ['expanded_conv_depthwise', 'fanIn'], ['expanded_conv_2_depthwise', 'fanIn']] as const) {
      const w = m.getLayer(name).getWeights()[0];
      const seed = stream(1, 'mobileNetV3Small').fork(name).seed();
      const want = tf.initializers.varianceScaling({ scale: 2, mode, distribution: 'normal', seed }).apply(w.shape);
      assertTensorsClose(w, want, 0);
      want.dispose();
    }
    m.dispose();
  });

  it('width multiplier rounds channels like torchvision', () => {
    assert.equal(makeDivisible(16 * 0.75), 16);
    assert.equal(makeDivisible(72 * 0.5), 40);
    assert.equal(makeDivisible(4), 8);
    const m = mobileNetV3Small({ head: 'none', inputSize: 32, alpha: 0.5 });
    assert.deepEqual(m.outputs[0].shape, [null, 6 * makeDivisible(96 * 0.5)]);
  });

  it('padding styles differ only in where stride-2 convs pad', () => {
    const t = mobileNetV3Small({ head: 'none', inputSize: 32, padding: 'torchvision' });
    const k = mobileNetV3Small({ head: 'none', inputSize: 32, padding: 'keras' });
    const pads = (m: tf.LayersModel, name: string) => (m.getLayer(name).getConfig() as { explicitPadding: number[][] }).explicitPadding;
    assert.deepEqual(pads(t, 'Conv'), [[1, 1], [1, 1]]);
    assert.deepEqual(pads(k, 'Conv'), [[0, 1], [0, 1]]);
    assert.deepEqual(pads(k, 'expanded_conv_3_depthwise'), [[1, 2], [1, 2]]);
    assert.equal(t.getLayer('expanded_conv_2_depthwise').getConfig()['padding'], 'same');
    assert.ok(!t.layers.some((l) => l.getClassName() === 'ZeroPadding2D'), 'no separate padding layers');
  });

  it('freezes the backbone: only the head trains, and frozen batch norms keep their statistics', () => {
    const m = mobileNetV3Small({ head: 'mnv3-notebook', inputSize: 32, alpha: 0.25, trainableBackbone: false, seed: 1 });
    assert.ok(m.trainableWeights.every((w) => w.originalName.startsWith('head_')));
    const headParams = m.layers.filter((l) => l.name.startsWith('head_')).reduce((s, l) => s + l.countParams(), 0);
    assert.equal(countParams(m).trainable, headParams);
    assert.equal(countParams(mobileNetV3Small({ head: 'mnv3-notebook', trainableBackbone: false })).trainable, 254_656);
    const bn = m.getLayer('Conv_BatchNorm');
    const before = bn.getWeights().map((w) => Array.from(w.dataSync()));
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 2);
    const yTrain = m.apply(x, { training: true }) as tf.Tensor;
    const after = bn.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(after, before);
    // With no dropout in play (the MobileNetV3 notebook's dropout is in the head), backbone features equal inference ones.
    const f = mobileNetV3Small({ head: 'none', inputSize: 32, alpha: 0.25, trainableBackbone: false, seed: 1 });
    assertTensorsClose(f.apply(x, { training: true }) as tf.Tensor, f.predict(x) as tf.Tensor, 0);
    assert.deepEqual(yTrain.shape, [2, 64]);
    assert.ok(setBackboneTrainable(m, true) > 0);
    const unfrozen = mobileNetV3Small({ head: 'mnv3-notebook', inputSize: 32, alpha: 0.25, seed: 1 });
    assert.deepEqual(countParams(m), countParams(unfrozen));
  });

  it('trains end to end on the cpu backend (tiny input): finite, non-zero gradients everywhere', () => {
    const m = mobileNetV3Small({ head: 'simple', inputSize: 32, alpha: 0.25, seed: 5 });
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3);
    const { grads } = tf.variableGrads(() => tf.mean(tf.square(m.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, m.trainableWeights.map((w) => w.read() as tf.Variable));
    const names = Object.keys(grads);
    assert.equal(names.length, m.trainableWeights.length);
    for (const n of names) assert.ok(Array.from(grads[n].dataSync()).every(Number.isFinite), n);
    assert.ok(names.filter((n) => Array.from(grads[n].dataSync()).some((v) => v !== 0)).length > names.length * 0.9);
  });

  it('rejects bad configs with the bad value named', () => {
    assert.throws(() => mobileNetV3Small({ inputSize: 16 }), /inputSize must be an integer >= 32, got 16/);
    assert.throws(() => mobileNetV3Small({ head: 'big' as never }), /head must be one of mnv3-notebook, simple, none, got "big"/);
    assert.throws(() => mobileNetV3Small({ alpha: 0 }), /alpha must be in \(0, 4\], got 0/);
  });

  it('predict does not leak tensors', () => {
    const m = mobileNetV3Small({ head: 'mnv3-notebook', inputSize: 32, alpha: 0.25 });
    const x = tf.zeros([1, 32, 32, 3]);
    assertNoLeak(() => m.predict(x) as tf.Tensor);
    assertNoLeak(() => m.apply(x, { training: true }) as tf.Tensor);
    x.dispose();
  });
});
