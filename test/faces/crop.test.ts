// The crop a detected face gets: dlib's face chip by default, the squared aligned box as an option, each with
// its own fitted threshold (lib/faces/verify-threshold.json: `face-api` is the chip, `face-api:box` the box).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  cropDetectedFace, cropFoundFace, DEFAULT_FACE_CROP, parseFaceCrop, readVerifyModel, Verifier, verifyModelsFile, verifySettingsKey, writeVerifyModel,
} from '../../lib/faces';
import { applySimilarity, chipOverhang, chipTransform, meanShape68 } from '../../lib/faces/chip';

test('crop names: chip is the default; anything else is refused naming the flag and the choices', () => {
  assert.equal(DEFAULT_FACE_CROP, 'chip');
  assert.equal(parseFaceCrop('box'), 'box');
  assert.throws(() => parseFaceCrop('square', '--crop'), /^RangeError: --crop must be one of chip, box, got "square"$/);
  assert.equal(verifySettingsKey('face-api', 'chip'), 'face-api');
  assert.equal(verifySettingsKey('face-api', 'box'), 'face-api:box');
});

test('the committed settings hold a fitted threshold for each crop, each saying which crop it was fitted on', () => {
  for (const crop of ['chip', 'box'] as const) {
    const s = readVerifyModel(verifySettingsKey('face-api', crop), verifyModelsFile());
    assert.equal(s.cropKind, crop);
    assert.match(s.fittedOn, /LFW View 1 pairsDevTrain/);
    assert.ok(s.threshold > 0.3 && s.threshold < 0.9, `${crop}: threshold ${s.threshold}`);
  }
});

test('a verifier reads the settings of its crop, and refuses settings fitted on another crop', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-crop-')), 'settings.json');
  writeVerifyModel('face-api', { cropKind: 'chip', threshold: 0.5, uncertainBand: 0.02, higherIsCloser: false, fittedOn: 'test', command: 'none' }, file);
  await assert.rejects(Verifier.create({ model: 'face-api', settingsFile: file, crop: 'box', warmUp: false }), /has no settings for model "face-api:box" \(it has: face-api\)/);
  writeVerifyModel('face-api:box', { cropKind: 'chip', threshold: 0.6, uncertainBand: 0.02, higherIsCloser: false, fittedOn: 'test', command: 'none' }, file);
  await assert.rejects(Verifier.create({ model: 'face-api', settingsFile: file, crop: 'box', warmUp: false }), /settings face-api:box were fitted on the chip crop, not box/);
  // the default (tuned) model is fitted on the chip only: the error says which model has the box crop
  await assert.rejects(Verifier.create({ crop: 'box', warmUp: false }), /no settings for model "face-api-tuned:box" .*; the box crop has settings for: --model face-api$/);
});

test('a detected face is cropped as a chip: a face seen rotated and scaled comes out upright at the chip size', () => {
  // a photo whose "face" is a bright disc at the chip's nose tip (landmark 30), seen through a similarity map
  const turn = { a: 1.4 * Math.cos(0.5), b: 1.4 * Math.sin(0.5), tx: 120, ty: 40 };
  const landmarks = meanShape68().map((p) => applySimilarity(turn, p));
  const nose = landmarks[30];
  const width = 400; const height = 400;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (Math.hypot(x - nose.x, y - nose.y) < 8) data.fill(250, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  const face = { box: { left: 0, top: 0, width: 1, height: 1 }, score: 1, landmarks, alignedBox: { left: 0, top: 0, width: 1, height: 1 }, cropBox: { left: 0, top: 0, width: 1, height: 1 }, roll: 0.5 };
  const chip = cropDetectedFace({ data, width, height, channels: 3 }, face, 150);
  assert.equal(chip.width, 150);
  const chipNose = meanShape68()[30];
  const at = (x: number, y: number): number => chip.data[(Math.round(y) * 150 + Math.round(x)) * 3];
  assert.ok(at(chipNose.x, chipNose.y) > 200, 'the nose tip lands where dlib\'s mean face has it');
  assert.equal(at(10, 10), 0, 'far from the nose is dark');
});

test('a chip that reaches outside the photo is cut from the photo with a mirrored border, not black; one inside is unchanged', async () => {
  // a tight crop: dlib's mean face filling a 120 x 100 photo whose left half is dark, right half bright
  const fill = { a: 0.85, b: 0, tx: -5, ty: -12 };
  const landmarks = meanShape68().map((p) => applySimilarity(fill, p));
  const width = 120; const height = 100;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(x < width / 2 ? 60 : 200, (y * width + x) * 3, (y * width + x) * 3 + 3);
  const box = { left: 0, top: 0, width: 1, height: 1 };
  const face = { box, score: 1, landmarks, alignedBox: box, cropBox: box, roll: 0, found: 'tiny' as const, pad: 0, upscaled: 1 };
  const image = { data, width, height, channels: 3 as const };
  const toPhoto = chipTransform(landmarks).toPhoto;
  assert.ok(chipOverhang(width, height, toPhoto) > 0, 'the chip reaches outside this photo');
  const black = cropDetectedFace(image, face, 150);
  const chip = await cropFoundFace(image, face, 150, { padMode: 'mirror' });
  assert.equal(black.data[0], 0, 'dlib\'s way: the chip\'s top-left corner lies outside, black');
  assert.equal(chip.data[0], 60, 'padded: the corner mirrors the photo\'s dark left edge');
  assert.equal(chip.data[(149 * 150 + 149) * 3], 200, 'and the bottom-right corner its bright right edge');
  // every chip pixel on the photo itself is the same either way
  let same = 0; let onPhoto = 0;
  for (let v = 0; v < 150; v++) for (let u = 0; u < 150; u++) {
    const p = applySimilarity(toPhoto, { x: u, y: v });
    if (p.x < 1 || p.y < 1 || p.x > width - 2 || p.y > height - 2) continue;
    onPhoto++;
    if (chip.data[(v * 150 + u) * 3] === black.data[(v * 150 + u) * 3]) same++;
  }
  assert.ok(onPhoto > 1000 && same === onPhoto, `${same} of ${onPhoto} on-photo pixels equal`);
  // a face well inside a large photo: the very same chip as before
  const big = new Uint8Array(400 * 400 * 3).map((_, i) => (i * 7) % 251);
  const inside = meanShape68().map((p) => applySimilarity({ a: 1, b: 0, tx: 120, ty: 110 }, p));
  const faceInside = { ...face, landmarks: inside };
  const a = await cropFoundFace({ data: big, width: 400, height: 400, channels: 3 }, faceInside, 150, { padMode: 'mirror' });
  const b = cropDetectedFace({ data: big, width: 400, height: 400, channels: 3 }, faceInside, 150);
  assert.deepEqual(Buffer.from(a.data), Buffer.from(b.data));
});
