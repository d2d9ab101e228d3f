import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { decodeImage } from '../../lib/data';
import { DEFAULT_VERIFY_MODEL, readVerifyModel, TUNED_MODEL, tunedModelRows, Verifier, writeVerifyModel } from '../../lib/faces';

/** A 120 px RGB image whose pixels come from `f(x, y, channel)`. */
async function image(file: string, f: (x: number, y: number, c: number) => number): Promise<string> {
  const raw = Buffer.alloc(120 * 120 * 3);
  for (let y = 0; y < 120; y++) for (let x = 0; x < 120; x++) for (let c = 0; c < 3; c++) raw[(y * 120 + x) * 3 + c] = f(x, y, c) & 255;
  await sharp(raw, { raw: { width: 120, height: 120, channels: 3 } }).png().toFile(file);
  return file;
}

describe('Verifier: photos prepared together, faces described in one batch', () => {
  let dir: string;
  let settings: string;
  let a: string, b: string, c: string;
  before(async () => {
    await tf.setBackend('cpu');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-verifier-'));
    settings = path.join(dir, 'settings.json');
    writeVerifyModel('face-api', { threshold: 0.55, uncertainBand: 0.03, higherIsCloser: false, fittedOn: 'test', command: 'none' }, settings);
    fs.mkdirSync(path.join(dir, 'ann'));
    fs.mkdirSync(path.join(dir, 'bob'));
    a = await image(path.join(dir, 'ann', '1.png'), (x, y, ch) => x * 2 + ch * 40);
    b = await image(path.join(dir, 'ann', '2.png'), (x, y, ch) => y * 2 + ch * 70);
    c = await image(path.join(dir, 'bob', '1.png'), (x, y, ch) => (x ^ y) * 3 + ch);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the same descriptors batched as one photo at a time', async () => {
    const batched = await Verifier.create({ model: 'face-api', settingsFile: settings, aligned: true, warmUp: false, faceCheck: false });
    const [ea, eb] = await batched.embedFiles([a, b]);
    const single = await Verifier.create({ model: 'face-api', settingsFile: settings, aligned: true, warmUp: false, faceCheck: false });
    const sa = await single.embedFile(a);
    const sb = await single.embedFile(b);
    for (const [x, y] of [[ea, sa], [eb, sb]]) {
      assert.equal(x.embedding!.length, 128);
      x.embedding!.forEach((v, i) => assert.ok(Math.abs(v - y.embedding![i]) < 1e-4, `component ${i}: ${v} vs ${y.embedding![i]}`));
    }
    const v = await batched.verify(a, b);
    assert.ok(Math.abs(v.value! - batched.embedder.compare(sa.embedding!, sb.embedding!)) < 1e-4);
  });

  it('with settings that say mirror, describes each photo as the mean of it and its mirror image: a photo and its mirror image are the same', async () => {
    const mirrored = path.join(dir, 'mirror-settings.json');
    writeVerifyModel('face-api', { threshold: 0.55, uncertainBand: 0.03, higherIsCloser: false, fittedOn: 'test', command: 'none', mirror: true }, mirrored);
    const flipped = path.join(dir, 'ann-1-mirrored.png');
    await sharp(a).flop().toFile(flipped);
    const v = await Verifier.create({ model: 'face-api', settingsFile: mirrored, aligned: true, warmUp: false, faceCheck: false });
    assert.match(v.embedder.description, /mean of the crop and its mirror image/);
    assert.ok((await v.verify(a, flipped)).value! < 1e-4, 'mirror-invariant');
    const plain = await Verifier.create({ model: 'face-api', settingsFile: settings, aligned: true, warmUp: false, faceCheck: false });
    assert.ok((await plain.verify(a, flipped)).value! > 1e-3, 'without the mirror a photo and its mirror image differ');
  });

  it('leaks no tensors across pairs, and answers the same pair the same way', async () => {
    const v = await Verifier.create({ model: 'face-api', settingsFile: settings, aligned: true, warmUp: false, faceCheck: false });
    await v.verify(a, c);
    const tensors = tf.memory().numTensors;
    const first = await v.verify(b, c);
    assert.equal(tf.memory().numTensors, tensors);
    const fresh = await Verifier.create({ model: 'face-api', settingsFile: settings, aligned: true, warmUp: false, faceCheck: false });
    assert.equal((await fresh.verify(b, c)).value, first.value);
  });

  it('issue 14 item 11: a 50 %-transparent PNG is flattened as everywhere else and the verdict warns, naming the file', async () => {
    // the same pixels as `a`, every pixel at alpha 128: flattened onto white, the face the model sees is washed out
    const rgb = await sharp(a).raw().toBuffer();
    const rgba = Buffer.alloc(120 * 120 * 4);
    for (let i = 0; i < 120 * 120; i++) rgba.set([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], 128], 4 * i);
    const half = path.join(dir, 'half.png');
    await sharp(rgba, { raw: { width: 120, height: 120, channels: 4 } }).png().toFile(half);
    try {
      const v = await Verifier.create({ model: 'face-api', settingsFile: settings, aligned: true, warmUp: false, faceCheck: false });
      const opaque = await v.verify(a, a);
      assert.equal(opaque.decision, 'same');
      assert.deepEqual(opaque.warnings, []);
      const verdict = await v.verify(a, half);
      assert.ok(verdict.value! > 0.05, `the same pixels at half opacity are another image to the model: distance ${verdict.value} (0 opaque)`);
      assert.deepEqual(verdict.warnings, [`${half}: 100 % of the pixels are transparent (mean opacity 50 %); flattened onto white before the crop — the verdict may be unreliable`]);
      assert.deepEqual(verdict.b.warnings, verdict.warnings);
      // flattened as the training decoder flattens it (one function): composited over white, pixel for pixel the same
      const photo = verdict.b.photo;
      const trained = await decodeImage(half, { size: 120, channels: 3 });
      assert.deepEqual(photo.data, trained.data);
      for (const k of [0, 1, 2, 3 * 61, 3 * (120 * 60 + 60) + 1]) assert.ok(Math.abs(photo.data[k] - Math.round((rgb[k] * 128 + 255 * 127) / 255)) <= 1, `value ${k}: ${photo.data[k]}`);
    } finally {
      fs.rmSync(half);
    }
  });

  it('the shipped tuned model (the default): its committed weights load, 256-d, mirror-invariant; its settings are checked', async () => {
    assert.equal(DEFAULT_VERIFY_MODEL, TUNED_MODEL);
    const v = await Verifier.create({ aligned: true, warmUp: false, faceCheck: false });
    assert.equal(v.embedder.name, TUNED_MODEL);
    assert.match(v.embedder.description, /fine-tuned on LFW beside face-api's own/);
    const flipped = path.join(dir, 'ann-1-flopped.png');
    await sharp(a).flop().toFile(flipped);
    const [ea] = await v.embedFiles([a]);
    assert.equal(ea.embedding!.length, 256);
    assert.ok((await v.verify(a, flipped)).value! < 1e-4, 'mirror-invariant');
    assert.ok((await v.verify(a, c)).value! > 0.05);
    const shipped = readVerifyModel(TUNED_MODEL);
    const bad = path.join(dir, 'tuned-settings.json');
    const { weights, ...noWeights } = shipped;
    writeVerifyModel(TUNED_MODEL, noWeights, bad);
    await assert.rejects(Verifier.create({ model: TUNED_MODEL, settingsFile: bad, aligned: true, warmUp: false }), /settings of model "face-api-tuned" name no weights file/);
    writeVerifyModel(TUNED_MODEL, { ...shipped, weights: `${weights}.gone` }, bad);
    await assert.rejects(Verifier.create({ model: TUNED_MODEL, settingsFile: bad, aligned: true, warmUp: false }), /face-api-tuned-weights_manifest\.json\.gone are missing; retrain with bench\/lfw-face-product\.ts --write/);
    // its recorded View 1 scores, for notebook 06: both models on the originals and the tight crops
    const rows = tunedModelRows(shipped);
    assert.deepEqual(rows.map((r) => [r['View 1 test pairs'], r.model]), [['originals', 'face-api zero-shot + mirror'], ['originals', TUNED_MODEL], ['tight', 'face-api zero-shot + mirror'], ['tight', TUNED_MODEL]]);
    assert.ok(rows.every((r) => /^\d+\.\d\d %$/.test(r['accuracy at its threshold for photos']) && /^0\.99\d\d$/.test(r.AUC)), JSON.stringify(rows));
    const { view1: _v, ...noScores } = shipped;
    assert.throws(() => tunedModelRows(noScores, 'x.json'), /x\.json: face-api-tuned has no view1 scores/);
    writeVerifyModel(TUNED_MODEL, { ...shipped, mirror: false }, bad);
    await assert.rejects(Verifier.create({ model: TUNED_MODEL, settingsFile: bad, aligned: true, warmUp: false }), /must say mirror: true/);
  });

  it('names the unreadable photo, and folder mode verifies the others', async () => {
    const broken = path.join(dir, 'bob', 'broken.jpg');
    fs.writeFileSync(broken, 'not a photo');
    try {
      const v = await Verifier.create({ model: 'face-api', settingsFile: settings, aligned: true, warmUp: false, faceCheck: false });
      await assert.rejects(v.verify(a, broken), /broken\.jpg: not an image: it starts with text "not a photo"/);
      const { rows, problems } = await v.verifyFolder(dir);
      assert.equal(rows.length, 3);
      assert.deepEqual(rows.map((r) => r.isSame), [1, 0, 0]);
      assert.equal(problems.length, 1);
      assert.match(problems[0], /broken\.jpg: .*not an image: it starts with text "not a photo"/);
    } finally {
      fs.rmSync(broken);
    }
  });
});
