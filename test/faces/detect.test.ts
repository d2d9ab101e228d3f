import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { ImageDecodeError } from '../../lib/data';
import type { DecodedImage } from '../../lib/data/types';
import { cropBox, decide, prepareFace, readPhoto, readVerifyModel, resolveDetect, squareAround, Verifier, writeVerifyModel } from '../../lib/faces';
import { disposeFaceApi, faceApiModelDir, loadFaceApi, readWeightsManifest } from '../../lib/faces/face-api';

let dir: string;
const file = (name: string): string => path.join(dir, name);

async function solid(name: string, w: number, h: number, colour: string): Promise<string> {
  await sharp({ create: { width: w, height: h, channels: 3, background: colour } }).jpeg().toFile(file(name));
  return file(name);
}

describe('photos, detection and bad input', () => {
  before(async () => {
    await tf.setBackend('cpu');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-detect-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('applies EXIF orientation: a 40x20 photo tagged "rotate 90" comes out 20x40 and upright', async () => {
    // left half red, right half blue; orientation 6 = turn 90 degrees clockwise, so red ends up on top
    const raw = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } }).withMetadata({ orientation: 6 }).png().toFile(file('exif.png'));
    const p = await readPhoto(file('exif.png'));
    assert.deepEqual([p.image.width, p.image.height, p.originalWidth, p.originalHeight], [20, 40, 20, 40]);
    const at = (x: number, y: number): number[] => [...p.image.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3)];
    assert.deepEqual(at(10, 5), [255, 0, 0]);
    assert.deepEqual(at(10, 35), [0, 0, 255]);
  });

  it('scales big photos down to maxSide', async () => {
    const p = await readPhoto(await solid('big.jpg', 1600, 400, '#888'), 800);
    assert.deepEqual([p.image.width, p.image.height, p.originalWidth], [800, 200, 1600]);
  });

  it('names unreadable files and says why', async () => {
    fs.writeFileSync(file('notes.jpg'), 'hello, not an image');
    await assert.rejects(readPhoto(file('notes.jpg')), (e: Error) => e instanceof ImageDecodeError && e.message.includes('notes.jpg') && /not an image: it starts with text "hello, not an im"/.test(e.message));
    await assert.rejects(readPhoto(file('missing.jpg')), /missing\.jpg: cannot read the file \(ENOENT\)/);
    fs.writeFileSync(file('empty.jpg'), '');
    await assert.rejects(readPhoto(file('empty.jpg')), /empty\.jpg: file is empty/);
    const good = fs.readFileSync(await solid('whole.jpg', 300, 300, '#abc'));
    fs.writeFileSync(file('cut.jpg'), good.subarray(0, Math.floor(good.length / 3)));
    await assert.rejects(readPhoto(file('cut.jpg')), /cut\.jpg: file is truncated or incomplete \(VipsJpeg: premature end of JPEG image\)/);
  });

  it('refuses tiny images', async () => {
    await assert.rejects(prepareFace(await solid('tiny.jpg', 16, 12, '#777'), { size: 150 }), /tiny\.jpg: image is 16x12 pixels, too small/);
  });

  it('answers "no face" for an image without one, and crops aligned images without detection', async () => {
    const grey = await solid('grey.jpg', 240, 180, '#8a8a8a');
    const p = await prepareFace(grey, { size: 150 });
    assert.equal(p.status, 'no-face');
    assert.equal(p.crop, undefined);
    assert.equal(p.note, 'no face found');
    const a = await prepareFace(grey, { size: 150, aligned: true });
    assert.equal(a.status, 'aligned');
    assert.deepEqual([a.crop!.width, a.crop!.height], [150, 150]);
    const fb = await prepareFace(grey, { size: 50, fallback: { left: 0.25, top: 0.25, width: 0.5, height: 0.5 } });
    assert.equal(fb.status, 'fallback');
  });

  it('checks detect configs, naming the bad value', () => {
    assert.throws(() => resolveDetect({ detector: 'yolo' as never }), /detector must be "ssd" or "tiny", got "yolo"/);
    assert.throws(() => resolveDetect({ tinyInputSize: 300 }), /multiple of 32.*got 300/);
    assert.throws(() => resolveDetect({ choose: 'first' as never }), /choose must be "largest" or "central", got "first"/);
  });
});

describe('cropBox', () => {
  const img: DecodedImage = { data: Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => i * 5), width: 4, height: 4, channels: 3 };
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('copies pixels exactly when the box maps pixel for pixel', () => {
    assert.deepEqual(cropBox(img, { left: 0, top: 0, width: 4, height: 4 }, 4).data, img.data);
    // the right half of the top two rows
    const right = cropBox(img, { left: 2, top: 0, width: 2, height: 2 }, 2);
    const want = [0, 1].flatMap((y) => [2, 3].flatMap((x) => [0, 1, 2].map((c) => ((y * 4 + x) * 3 + c) * 5)));
    assert.deepEqual([...right.data], want);
  });

  it('turns the crop by the roll angle (half a turn reverses the pixels) and fills outside with black', () => {
    const turned = cropBox(img, { left: 0, top: 0, width: 4, height: 4 }, 4, Math.PI);
    const reversed = [];
    for (let p = 15; p >= 0; p--) reversed.push(...img.data.subarray(p * 3, p * 3 + 3));
    assert.deepEqual([...turned.data], reversed);
    const outside = cropBox(img, { left: 4, top: 0, width: 4, height: 4 }, 4);
    assert.ok(outside.data.every((v) => v === 0));
    assert.deepEqual(squareAround({ left: 10, top: 0, width: 20, height: 40 }), { left: 0, top: 0, width: 40, height: 40 });
  });

  it('leaks no tensors', () => {
    cropBox(img, { left: 0, top: 0, width: 4, height: 4 }, 3, 0.3);
    const before = tf.memory().numTensors;
    cropBox(img, { left: 1, top: 1, width: 2, height: 3 }, 5, 0.3);
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('model files and verification settings', () => {
  before(async () => {
    await tf.setBackend('cpu');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-verify-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a weight file that belongs to another network, or is truncated', async () => {
    const src = faceApiModelDir();
    const bad = path.join(dir, 'wrong');
    fs.mkdirSync(bad);
    // the tiny detector's weights under the recognition net's name
    const manifest = JSON.parse(fs.readFileSync(path.join(src, 'tiny_face_detector_model-weights_manifest.json'), 'utf8'));
    manifest[0].paths = ['face_recognition_model.bin'];
    fs.writeFileSync(path.join(bad, 'face_recognition_model-weights_manifest.json'), JSON.stringify(manifest));
    fs.copyFileSync(path.join(src, 'tiny_face_detector_model.bin'), path.join(bad, 'face_recognition_model.bin'));
    disposeFaceApi(['recognition']);
    await assert.rejects(loadFaceApi(['recognition'], { modelDir: bad }), /face_recognition_model-weights_manifest\.json does not fit face-api's recognition network/);
    // a truncated binary
    const cut = path.join(dir, 'cut');
    fs.mkdirSync(cut);
    fs.copyFileSync(path.join(src, 'tiny_face_detector_model-weights_manifest.json'), path.join(cut, 'tiny_face_detector_model-weights_manifest.json'));
    fs.writeFileSync(path.join(cut, 'tiny_face_detector_model.bin'), fs.readFileSync(path.join(src, 'tiny_face_detector_model.bin')).subarray(0, 1000));
    assert.throws(() => readWeightsManifest(path.join(cut, 'tiny_face_detector_model-weights_manifest.json')), /tiny_face_detector_model\.bin has 1000 bytes but the manifest describes \d+/);
    fs.writeFileSync(path.join(cut, 'x-weights_manifest.json'), '{"not": "a manifest"}');
    assert.throws(() => readWeightsManifest(path.join(cut, 'x-weights_manifest.json')), /not a tfjs weights manifest/);
    assert.throws(() => readWeightsManifest(path.join(cut, 'nope.json')), /nope\.json: not a readable tfjs weights manifest \(ENOENT\)/);
  });

  it('decides same / different / uncertain around the threshold', () => {
    const s = { threshold: 0.6, uncertainBand: 0.05, higherIsCloser: false };
    assert.equal(decide(0.3, s), 'same');
    assert.equal(decide(0.58, s), 'uncertain');
    assert.equal(decide(0.62, s), 'uncertain');
    assert.equal(decide(0.7, s), 'different');
    assert.equal(decide(0.9, { ...s, higherIsCloser: true }), 'same');
  });

  it('reads and writes settings, naming what is wrong', () => {
    const f = path.join(dir, 'settings.json');
    writeVerifyModel('face-api', { threshold: 0.55, uncertainBand: 0.03, higherIsCloser: false, fittedOn: 'test', command: 'none' }, f);
    assert.equal(readVerifyModel('face-api', f).threshold, 0.55);
    assert.throws(() => readVerifyModel('other', f), /has no settings for model "other" \(it has: face-api\)/);
    writeVerifyModel('broken', { threshold: 'x' as never, uncertainBand: 0, higherIsCloser: false, fittedOn: '', command: '' }, f);
    assert.throws(() => readVerifyModel('broken', f), /broken\.threshold must be a finite number, got "x"/);
    assert.throws(() => readVerifyModel('face-api', path.join(dir, 'none.json')), /cannot read verification settings .*none\.json \(ENOENT\)/);
  });

  it('verifies: no face is an answer, not a guess; unknown models are named', async () => {
    const f = path.join(dir, 'settings.json');
    writeVerifyModel('face-api', { threshold: 0.55, uncertainBand: 0.03, higherIsCloser: false, fittedOn: 'test', command: 'none' }, f);
    await assert.rejects(Verifier.create({ model: 'resnet-9000', settingsFile: f }), /unknown model "resnet-9000"; available: face-api/);
    disposeFaceApi(['recognition']);
    const v = await Verifier.create({ model: 'face-api', settingsFile: f, warmUp: false });
    const grey = path.join(dir, 'g.jpg');
    await sharp({ create: { width: 200, height: 200, channels: 3, background: '#999' } }).jpeg().toFile(grey);
    const verdict = await v.verify(grey, grey);
    assert.equal(verdict.decision, 'no-face');
    assert.equal(verdict.value, undefined);
    // --aligned: the same crop twice is distance 0, "same"
    const aligned = await Verifier.create({ model: 'face-api', settingsFile: f, aligned: true, warmUp: false, faceCheck: false });
    const same = await aligned.verify(grey, grey);
    assert.equal(same.decision, 'same');
    assert.ok(same.value! < 1e-6);
  });
});

const LFW = process.env.LFW_DIR;
describe('detection on real photos (LFW_DIR)', { skip: !LFW && 'set LFW_DIR to run' }, () => {
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-lfw-detect-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds one face in an LFW image, and the largest of two', async () => {
    const a = path.join(LFW!, 'AJ_Cook', 'AJ_Cook_0001.jpg');
    const p = await prepareFace(a, { size: 150 });
    assert.equal(p.status, 'face');
    assert.equal(p.facesFound, 1);
    const b = path.join(LFW!, 'George_W_Bush', 'George_W_Bush_0001.jpg');
    // Bush at full size on the left, AJ Cook at half size on the right
    const small = await sharp(a).resize(125, 125).toBuffer();
    await sharp({ create: { width: 400, height: 250, channels: 3, background: '#fff' } })
      .composite([{ input: b, left: 0, top: 0 }, { input: small, left: 270, top: 60 }]).jpeg().toFile(path.join(dir, 'two.jpg'));
    const two = await prepareFace(path.join(dir, 'two.jpg'), { size: 150 });
    assert.equal(two.facesFound, 2);
    assert.match(two.note, /2 faces found \(found by tiny\); used the largest/);
    assert.ok(two.face!.box.left < 200, 'the largest face is the one on the left');
  });
});
