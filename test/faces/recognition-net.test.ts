import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { loadFaceApi } from '../../lib/faces/face-api';
import { faceApiEmbedder } from '../../lib/faces/face-embedder';
import { describeChips, loadRecognitionNet, topDescriptors, trunkActivations, TRUNK_SHAPE, type RecognitionNet } from '../../lib/faces/recognition-net';
import { Rng } from '../../lib/util/rng';

/** Two 150-px test chips: smooth colour patterns with a face-like blob, different per seed. */
function chips(seed: number): tf.Tensor4D {
  const r = new Rng(seed);
  const data = new Int32Array(2 * 150 * 150 * 3);
  for (let n = 0; n < 2; n++) {
    const [fx, fy, ph] = [r.uniform(0.02, 0.1), r.uniform(0.02, 0.1), r.uniform(0, 6)];
    for (let y = 0; y < 150; y++) for (let x = 0; x < 150; x++) for (let c = 0; c < 3; c++) {
      const blob = Math.exp(-((x - 75) ** 2 + (y - 80) ** 2) / 1800) * 120;
      data[((n * 150 + y) * 150 + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(90 + blob + 60 * Math.sin(fx * x + fy * y + ph + c))));
    }
  }
  return tf.tensor4d(data, [2, 150, 150, 3], 'int32');
}

describe("recognition net: face-api's ResNet written out, split into a frozen trunk and a trainable top", () => {
  let net: RecognitionNet;
  before(async () => {
    await initBackend();
    net = loadRecognitionNet();
  });

  it("gives face-api's own descriptors (computeFaceDescriptor) within 1e-5", async () => {
    const api = await loadFaceApi(['recognition']);
    const x = chips(3);
    const mine = describeChips(net, x);
    for (let i = 0; i < 2; i++) {
      const one = tf.slice(x, [i, 0, 0, 0], [1, 150, 150, 3]);
      const ref = (await api.nets.faceRecognitionNet.computeFaceDescriptor(one)) as Float32Array;
      const got = tf.tidy(() => tf.slice(mine, [i, 0], [1, 128]).dataSync());
      let worst = 0;
      for (let j = 0; j < 128; j++) worst = Math.max(worst, Math.abs(got[j] - ref[j]));
      assert.ok(worst <= 1e-5, `chip ${i}: max difference ${worst}`);
      one.dispose();
    }
    tf.dispose([x, mine]);
  });

  it('trunk then top equals the whole net, the trunk is 4x4x256, and nothing leaks', () => {
    const x = chips(5);
    const before = tf.memory().numTensors;
    const trunk = trunkActivations(net, x);
    assert.deepEqual(trunk.shape.slice(1), [...TRUNK_SHAPE]);
    const split = topDescriptors(net.top, trunk);
    const whole = describeChips(net, x);
    const a = split.dataSync();
    const b = whole.dataSync();
    for (let i = 0; i < a.length; i++) assert.equal(a[i], b[i]);
    tf.dispose([trunk, split, whole]);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });

  it('rejects inputs that are not 150x150 RGB, naming the shape', () => {
    const bad = tf.zeros([1, 112, 112, 3]) as tf.Tensor4D;
    assert.throws(() => trunkActivations(net, bad), /\[n, 150, 150, 3\] chips, got \[1, 112, 112, 3\]/);
    bad.dispose();
  });

  it('names the file when the weights are not the recognition net', () => {
    assert.throws(() => loadRecognitionNet('/nonexistent-face-api-models'), /nonexistent-face-api-models.*face_recognition_model-weights_manifest\.json/);
  });
});

describe('the face-api embedder with the mirror (what siamese verify uses)', () => {
  before(async () => { await initBackend(); });

  it('describes a crop as the mean of its own and its mirror image\'s descriptors, the same for the mirrored crop, and leaks no tensor', async () => {
    const plain = await faceApiEmbedder();
    const mirrored = await faceApiEmbedder({}, { mirror: true });
    const x = chips(5);
    const flipped = tf.reverse(x, 2) as tf.Tensor4D;
    await plain.embed(x); // the first call makes face-api's lasting constants
    const before = tf.memory().numTensors;
    const a = await plain.embed(x);
    const b = await plain.embed(flipped);
    const m = await mirrored.embed(x);
    const mf = await mirrored.embed(flipped);
    assert.equal(tf.memory().numTensors, before, 'tensor count changed');
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 128; j++) {
        assert.ok(Math.abs(m[i][j] - (a[i][j] + b[i][j]) / 2) <= 1e-6, `crop ${i} value ${j}: the mean of both`);
        assert.ok(Math.abs(m[i][j] - mf[i][j]) <= 1e-5, `crop ${i} value ${j}: mirror-invariant`);
      }
    }
    assert.notDeepEqual(a[0], b[0], 'the plain descriptor does depend on the side the face looks to');
    assert.match(mirrored.description, /mean of the crop and its mirror image/);
    tf.dispose([x, flipped]);
  });
});
