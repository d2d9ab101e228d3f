import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { loadFaceApi } from '../../lib/faces/face-api';
import { faceApiEmbedder, tunedFaceApiEmbedder } from '../../lib/faces/face-embedder';
import { euclideanDistance } from '../../lib/distances/arrays';
import { describeChips, loadRecognitionNet, loadRecognitionTop, openBlocks, runBlocks, saveRecognitionTop, topDescriptors, topTensors, trunkActivations, TRUNK_SHAPE, zeroShotTop, type RecognitionNet } from '../../lib/faces/recognition-net';
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

  it("the trunk with its last blocks left out, then those blocks, is the whole trunk; face-api's top over them is zero-shot", () => {
    const x = chips(6);
    const before = tf.memory().numTensors;
    const whole = trunkActivations(net, x);
    const want = topDescriptors(net.top, whole);
    for (const open of [1, 2]) {
      const part = trunkActivations(net, x, open);
      assert.deepEqual(part.shape.slice(1), [...TRUNK_SHAPE], 'the blocks that may be opened keep the shape');
      assert.equal(openBlocks(net, open).length, open);
      const rest = runBlocks(openBlocks(net, open), part);
      assert.deepEqual(Array.from(rest.dataSync()), Array.from(whole.dataSync()), `open ${open}: the blocks run after it give the trunk's output`);
      const got = topDescriptors(zeroShotTop(net, open), part);
      assert.deepEqual(Array.from(got.dataSync()), Array.from(want.dataSync()), `open ${open}: face-api's top with the blocks in front`);
      const chipsDesc = describeChips(net, x, zeroShotTop(net, open));
      assert.deepEqual(Array.from(chipsDesc.dataSync()), Array.from(want.dataSync()), 'describeChips runs the trunk the top needs');
      tf.dispose([part, rest, got, chipsDesc]);
    }
    const short = trunkActivations(net, x, 1);
    assert.notDeepEqual(Array.from(short.dataSync().slice(0, 64)), Array.from(whole.dataSync().slice(0, 64)), 'a block left out changes the activations');
    tf.dispose([whole, want, short]);
    assert.equal(tf.memory().numTensors, before, 'tensor count changed');
    assert.throws(() => trunkActivations(net, x, 3), /0, 1 or 2 of the trunk's last blocks may be opened, got 3/);
    assert.throws(() => openBlocks(net, -1), /got -1/);
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

describe('a tuned top stored at half precision, and the tuned embedder that ships it', () => {
  let net: RecognitionNet;
  let tmp: string;
  let manifest: string;
  before(async () => {
    await initBackend();
    net = loadRecognitionNet();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-top-'));
    // face-api's own top, stored as a tuned one would be
    manifest = saveRecognitionTop(tmp, 'top', topTensors(net.top).map(([, t]) => t.dataSync() as Float32Array), net.top);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('stores the filters and the projection at half precision, the vectors exactly, and reads them back under face-api\'s names', () => {
    const bytes = topTensors(net.top).reduce((s, [, t]) => s + t.size * (t.size >= 1024 ? 2 : 4), 0);
    assert.equal(fs.statSync(path.join(tmp, 'top.bin')).size, bytes);
    const before = tf.memory().numTensors;
    const top = loadRecognitionTop(manifest);
    const mine = topTensors(top);
    const theirs = topTensors(net.top);
    assert.deepEqual(mine.map(([n, t]) => [n, t.shape]), theirs.map(([n, t]) => [n, t.shape]));
    mine.forEach(([n, t], i) => {
      const a = t.dataSync();
      const b = theirs[i][1].dataSync();
      for (let j = 0; j < a.length; j++) {
        const tol = t.size >= 1024 ? Math.max(Math.abs(b[j]) * 2 ** -11, 2 ** -25) : 0;
        assert.ok(Math.abs(a[j] - b[j]) <= tol, `${n}[${j}]: ${a[j]} vs ${b[j]}`);
      }
    });
    assert.equal(tf.memory().numTensors, before + mine.length, 'only the top\'s tensors are kept');
    tf.dispose(mine.map(([, t]) => t));
  });

  it("stores a top trained deeper with its trunk blocks under face-api's names, and reads them back", () => {
    const deeper = zeroShotTop(net, 2);
    const named = topTensors(deeper);
    assert.equal(named.length, 25);
    assert.deepEqual(named.slice(0, 2).map(([n]) => n), ['conv256_1/conv1/conv/filters', 'conv256_1/conv1/conv/bias']);
    assert.equal(named[8][0], 'conv256_2/conv1/conv/filters');
    const file = saveRecognitionTop(tmp, 'deeper', named.map(([, t]) => t.dataSync() as Float32Array), deeper);
    const before = tf.memory().numTensors;
    const back = loadRecognitionTop(file);
    assert.equal(back.blocks?.length, 2);
    assert.deepEqual(topTensors(back).map(([n, t]) => [n, t.shape]), named.map(([n, t]) => [n, t.shape]));
    const a = topTensors(back)[8][1].dataSync();
    const b = named[8][1].dataSync();
    for (let j = 0; j < a.length; j += 31) assert.ok(Math.abs(a[j] - b[j]) <= Math.max(Math.abs(b[j]) * 2 ** -11, 2 ** -25));
    assert.equal(tf.memory().numTensors, before + 25);
    tf.dispose(topTensors(back).map(([, t]) => t));
    const one = loadRecognitionTop(saveRecognitionTop(tmp, 'one', topTensors(zeroShotTop(net, 1)).map(([, t]) => t.dataSync() as Float32Array), zeroShotTop(net, 1)));
    assert.deepEqual(topTensors(one).slice(0, 1).map(([n]) => n), ['conv256_2/conv1/conv/filters'], 'one block: conv256_2');
    tf.dispose(topTensors(one).map(([, t]) => t));
    assert.equal(loadRecognitionTop(manifest).blocks, undefined, 'a top without blocks reads back without them');
  });

  it('names the file when a tensor is missing or has the wrong shape', () => {
    const groups = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    const broken = path.join(tmp, 'broken-weights_manifest.json');
    const fc = groups[0].weights.find((w: { name: string }) => w.name === 'fc');
    fc.shape = [128, 256];
    fs.writeFileSync(broken, JSON.stringify(groups));
    assert.throws(() => loadRecognitionTop(broken), /broken-weights_manifest\.json: tensor fc should be 256x128, got 128x256/);
    groups[0].weights = groups[0].weights.map((w: { name: string }) => (w.name.endsWith('conv2/scale/biases') ? { ...w, name: 'other' } : w));
    fc.shape = [256, 128];
    fs.writeFileSync(broken, JSON.stringify(groups));
    assert.throws(() => loadRecognitionTop(broken), /broken-weights_manifest\.json: no tensor conv256_down_out\/conv2\/scale\/biases/);
    assert.throws(() => saveRecognitionTop(tmp, 'short', [new Float32Array(3)], net.top), /a top has 9 tensors, got 1 arrays/);
  });

  it("with face-api's own top as the tuned one, its distances are face-api's with the mirror (the 1/√2 scaling); 256-d, no leak", async () => {
    const tuned = await tunedFaceApiEmbedder(manifest);
    const mirror = await faceApiEmbedder({}, { mirror: true });
    const x = chips(7);
    const y = chips(9);
    await tuned.embed(x);
    const before = tf.memory().numTensors;
    const [a, b] = [await tuned.embed(x), await tuned.embed(y)];
    assert.equal(tf.memory().numTensors, before, 'tensor count changed');
    const [c, d] = [await mirror.embed(x), await mirror.embed(y)];
    assert.equal(a[0].length, 256);
    assert.equal(tuned.dim, 256);
    for (let i = 0; i < 2; i++) {
      const got = euclideanDistance(a[i], b[i]);
      const want = euclideanDistance(c[i], d[i]);
      assert.ok(Math.abs(got - want) <= 1e-3 * want, `pair ${i}: ${got} vs face-api's ${want}`);
    }
    // a crop of another size is resized first, as face-api does
    const small = tf.image.resizeBilinear(x, [120, 120]) as tf.Tensor4D;
    assert.equal((await tuned.embed(small)).length, 2);
    tf.dispose([x, y, small]);
    await assert.rejects(tunedFaceApiEmbedder(path.join(tmp, 'none-weights_manifest.json')), /none-weights_manifest\.json: not a readable tfjs weights manifest/);
  });

  it('a tuned top stored with a trunk block runs the trunk short of it: face-api\'s own weights give the same embedding', async () => {
    const deeper = zeroShotTop(net, 1);
    const file = saveRecognitionTop(tmp, 'deeper1', topTensors(deeper).map(([, t]) => t.dataSync() as Float32Array), deeper);
    const [plain, withBlock] = [await tunedFaceApiEmbedder(manifest), await tunedFaceApiEmbedder(file)];
    const x = chips(5);
    const [a, b] = [await plain.embed(x), await withBlock.embed(x)];
    for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) assert.ok(Math.abs(a[i][j] - b[i][j]) <= 1e-3, `face ${i}, value ${j}: ${a[i][j]} vs ${b[i][j]}`);
    x.dispose();
  });
});
