import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  countParams, loadModel, mobileNetV3Small, readModelMetadata, readWeights, saveModel, seed2Cnn, siamese, workshopCnn,
} from '../../lib/models';
import { assertTensorsClose } from '../helpers';

let tmp: string;

/** Every weight of `b` equals `a`'s bit for bit, in the same order and with the same names. */
function assertSameWeights(a: tf.LayersModel, b: tf.LayersModel): void {
  assert.deepEqual(b.weights.map((w) => w.originalName), a.weights.map((w) => w.originalName));
  a.weights.forEach((w, i) => {
    const x = new Uint8Array(w.read().dataSync().buffer.slice(0));
    const y = new Uint8Array(b.weights[i].read().dataSync().buffer.slice(0));
    assert.deepEqual(y, x, `weight ${w.originalName} differs`);
  });
}

async function roundTrip(model: tf.LayersModel, inputs: tf.Tensor | tf.Tensor[], name: string): Promise<tf.LayersModel> {
  const dir = path.join(tmp, name);
  await saveModel(model, dir, { builtBy: name });
  assert.ok(fs.existsSync(path.join(dir, 'model.json')) && fs.existsSync(path.join(dir, 'weights.bin')));
  const copy = await loadModel(dir);
  assertSameWeights(model, copy);
  assert.deepEqual(countParams(copy), countParams(model));
  assertTensorsClose(copy.predict(inputs) as tf.Tensor, model.predict(inputs) as tf.Tensor, 0);
  assert.deepEqual(readModelMetadata(dir), { builtBy: name });
  return copy;
}

describe('saveModel / loadModel', () => {
  before(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-models-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const x32 = (): tf.Tensor => tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 7);

  it('round-trips the workshop CNN bit-exactly', async () => {
    await roundTrip(workshopCnn({ inputSize: 32, seed: 1 }), x32(), 'workshop');
  });

  it("round-trips the Siamese CNN reference's CNN (at 32 px) bit-exactly", async () => {
    await roundTrip(seed2Cnn({ inputSize: 32, seed: 1 }), x32(), 'seed2');
  });

  for (const head of ['mnv3-notebook', 'simple', 'none'] as const) {
    it(`round-trips MobileNetV3-Small with the ${head} head (custom layers registered)`, async () => {
      const copy = await roundTrip(mobileNetV3Small({ head, inputSize: 32, alpha: 0.25, seed: 1 }), x32(), `mnv3-${head}`);
      assert.ok(copy.layers.some((l) => l.getClassName() === 'HardSigmoid'));
      assert.equal((copy.getLayer('Conv_BatchNorm') as unknown as { activation: string }).activation, 'hardSwish');
      assert.equal((copy.getLayer('expanded_conv_depthwise_BatchNorm') as unknown as { activation: string }).activation, 'relu');
    });
  }

  it('keeps a frozen backbone frozen, and the dropout seeds', async () => {
    const m = mobileNetV3Small({ head: 'mnv3-notebook', inputSize: 32, alpha: 0.25, trainableBackbone: false, seed: 2 });
    const copy = await roundTrip(m, x32(), 'mnv3-frozen');
    assert.equal(countParams(copy).trainable, countParams(m).trainable);
    assert.equal((copy.getLayer('head_dropout_1').getConfig() as { seed: number }).seed, (m.getLayer('head_dropout_1').getConfig() as { seed: number }).seed);
    // Same seeds and same step: the same training-mode output (same dropout masks).
    assertTensorsClose(copy.apply(x32(), { training: true }) as tf.Tensor, m.apply(x32(), { training: true }) as tf.Tensor, 0);
  });

  for (const head of ['euclidean', 'cosine', 'bceConcat', 'bceAbsDiff'] as const) {
    it(`round-trips a Siamese model with the ${head} head (nested shared network)`, async () => {
      const net = mobileNetV3Small({ head: 'simple', inputSize: 32, alpha: 0.25, seed: 3 });
      const model = siamese(net, { head, seed: 4 });
      const a = x32();
      const b = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 8);
      const copy = await roundTrip(model, [a, b], `siamese-${head}`);
      assert.equal(copy.layers.filter((l) => l instanceof tf.LayersModel).length, 1);
    });
  }

  it('readWeights gives the saved tensors by name, without building the model', async () => {
    const m = workshopCnn({ inputSize: 16, filters: [4], kernelSizes: [3], embeddingDim: 4, seed: 5 });
    const dir = path.join(tmp, 'weights-only');
    await saveModel(m, dir);
    const ws = readWeights(dir);
    assert.deepEqual(ws.map((w) => w.name), m.weights.map((w) => w.originalName));
    assertTensorsClose(ws[0].tensor, m.weights[0].read(), 0);
  });

  it('reports a missing folder or weight file clearly', async () => {
    await assert.rejects(loadModel(path.join(tmp, 'nope')), /No model at .*nope: .*model\.json does not exist/);
    const dir = path.join(tmp, 'broken');
    await saveModel(workshopCnn({ inputSize: 16, filters: [4], kernelSizes: [3], embeddingDim: 4 }), dir);
    fs.rmSync(path.join(dir, 'weights.bin'));
    await assert.rejects(loadModel(dir), /lists weight file weights\.bin, which is missing/);
  });
});
