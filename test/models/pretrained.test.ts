import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadPretrainedWeights, mobileNetV3Small, normalizeWeightName, saveModel } from '../../lib/models';
import { assertTensorsClose } from '../helpers';

let tmp: string;
const tiny = { inputSize: 32, alpha: 0.25 };

/** The pooled backbone feature of a MobileNetV3-Small built here, whatever its head. */
function features(m: tf.LayersModel, x: tf.Tensor): tf.Tensor {
  return tf.model({ inputs: m.inputs, outputs: m.getLayer('avg_pool').output as tf.SymbolicTensor }).predict(x) as tf.Tensor;
}

/** Rewrites the weight names in a saved model.json. */
function renameWeights(dir: string, rename: (name: string, i: number) => string): void {
  const file = path.join(dir, 'model.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  let i = 0;
  for (const group of json.weightsManifest) for (const w of group.weights) w.name = rename(w.name, i++);
  fs.writeFileSync(file, JSON.stringify(json));
}

describe('loadPretrainedWeights', () => {
  let source: tf.LayersModel;
  let x: tf.Tensor;

  before(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-pretrained-'));
    // A tiny "pretrained" backbone: its own seed, saved as a tfjs LayersModel.
    source = mobileNetV3Small({ ...tiny, head: 'none', seed: 11 });
    await saveModel(source, path.join(tmp, 'plain'));
    x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('loads a saved backbone by name into a model with another seed and a head: same features', async () => {
    const target = mobileNetV3Small({ ...tiny, head: 'mnv3-notebook', seed: 12 });
    assert.notDeepEqual(Array.from(features(target, x).dataSync()), Array.from((source.predict(x) as tf.Tensor).dataSync()));
    const headBefore = target.getLayer('head_dense_1').getWeights()[0].dataSync().slice();
    const report = await loadPretrainedWeights(target, path.join(tmp, 'plain', 'model.json'));
    assert.equal(report.matchedBy, 'name');
    assert.equal(report.assigned, source.weights.length);
    assert.deepEqual(report.unusedSource, []);
    assertTensorsClose(features(target, x), source.predict(x) as tf.Tensor, 0);
    assert.deepEqual(target.getLayer('head_dense_1').getWeights()[0].dataSync(), headBefore, 'the head is left alone');
  });

  it('matches Keras-style names (slashes, a model-name prefix, :0 suffixes)', async () => {
    const dir = path.join(tmp, 'keras-names');
    await saveModel(source, dir);
    renameWeights(dir, (n) => `MobilenetV3small/${n.replace(/_BatchNorm/, '/BatchNorm').replace(/_depthwise/, '/depthwise')}:0`);
    assert.equal(normalizeWeightName('expanded_conv_3/depthwise/BatchNorm/gamma:0'), 'expanded_conv_3_depthwise_BatchNorm_gamma');
    const target = mobileNetV3Small({ ...tiny, head: 'none', seed: 13 });
    const report = await loadPretrainedWeights(target, dir);
    assert.equal(report.matchedBy, 'name');
    assertTensorsClose(target.predict(x) as tf.Tensor, source.predict(x) as tf.Tensor, 0);
  });

  it('falls back to order when names do not match (tfjs order and Keras layer-by-layer order)', async () => {
    const dir = path.join(tmp, 'anonymous');
    await saveModel(source, dir);
    renameWeights(dir, (_, i) => `w${i}`);
    const target = mobileNetV3Small({ ...tiny, head: 'none', seed: 14 });
    const report = await loadPretrainedWeights(target, dir);
    assert.equal(report.matchedBy, 'order');
    assertTensorsClose(target.predict(x) as tf.Tensor, source.predict(x) as tf.Tensor, 0);
    // Layer by layer, as Keras writes its weights, with a classifier after them.
    const keras = source.layers.flatMap((l) => l.weights.map((w) => w.originalName));
    const ordered = keras.map((n, i) => ({ name: `k${i}`, tensor: source.weights.find((w) => w.originalName === n)!.read() }));
    ordered.push({ name: 'Logits/kernel', tensor: tf.zeros([4, 2]) });
    const target2 = mobileNetV3Small({ ...tiny, head: 'none', seed: 15 });
    const r2 = await loadPretrainedWeights(target2, ordered, { match: 'order' });
    assert.deepEqual(r2.unusedSource, ['Logits/kernel']);
    assertTensorsClose(target2.predict(x) as tf.Tensor, source.predict(x) as tf.Tensor, 0);
  });

  it('reports source weights the model has no place for (e.g. a head)', async () => {
    const withHead = mobileNetV3Small({ ...tiny, head: 'simple', seed: 11 });
    const dir = path.join(tmp, 'with-head');
    await saveModel(withHead, dir);
    const target = mobileNetV3Small({ ...tiny, head: 'none', seed: 14 });
    const report = await loadPretrainedWeights(target, dir);
    assert.equal(report.matchedBy, 'name');
    assert.deepEqual(report.unusedSource, ['head_dense_1/kernel', 'head_dense_1/bias', 'head_dense_2/kernel', 'head_dense_2/bias']);
    assertTensorsClose(target.predict(x) as tf.Tensor, features(withHead, x), 0);
  });

  it('refuses a backbone of another width, naming the weight and both shapes, and changes nothing', async () => {
    const target = mobileNetV3Small({ inputSize: 32, alpha: 0.5, head: 'none', seed: 15 });
    const y0 = (target.predict(x) as tf.Tensor).dataSync().slice();
    await assert.rejects(
      loadPretrainedWeights(target, path.join(tmp, 'plain')),
      /Cannot load pretrained weights into mobileNetV3Small_none: by name: expanded_conv_1_expand\/kernel has shape \[1, 1, 8, 40\] but source expanded_conv_1_expand\/kernel has \[1, 1, 8, 24\]; by order: .*shape/,
    );
    assert.deepEqual((target.predict(x) as tf.Tensor).dataSync(), y0);
  });

  it('does not leak the tensors it reads', async () => {
    const target = mobileNetV3Small({ ...tiny, head: 'none', seed: 16 });
    await loadPretrainedWeights(target, path.join(tmp, 'plain'));
    const before = tf.memory().numTensors;
    await loadPretrainedWeights(target, path.join(tmp, 'plain'));
    assert.equal(tf.memory().numTensors, before);
  });
});
