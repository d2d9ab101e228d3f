import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applySimilarity, chipOverhang, chipTemplate, chipTransform, CHIP_LANDMARKS, DLIB_CHIP, extractChip, fitSimilarity, invertSimilarity,
  meanShape68, similarityScale, type PixelImage, type Similarity,
} from '../../lib/faces/chip';

const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol * (1 + Math.abs(b));

test('dlib template: 33 points (27-54, 60-64), padding 0.25 on a 150-px chip', () => {
  assert.equal(CHIP_LANDMARKS.length, 33);
  assert.deepEqual(CHIP_LANDMARKS.slice(0, 3), [27, 28, 29]);
  assert.ok(!CHIP_LANDMARKS.includes(26) && !CHIP_LANDMARKS.includes(55) && CHIP_LANDMARKS.includes(64) && !CHIP_LANDMARKS.includes(65));
  const t = chipTemplate();
  // landmark 30 (nose tip) is mean (0.490127, 0.515625): ((0.25 + x) / 1.5) * 150
  const nose = t[CHIP_LANDMARKS.indexOf(30)];
  assert.ok(close(nose.x, ((0.25 + 0.490127) / 1.5) * 150) && close(nose.y, ((0.25 + 0.515625) / 1.5) * 150));
  assert.throws(() => chipTemplate(0), /chip size must be > 0/);
});

test('the mean shape maps to itself: identity transform, zero residual', () => {
  const { toPhoto, rmsChipPixels } = chipTransform(meanShape68());
  assert.ok(close(toPhoto.a, 1) && Math.abs(toPhoto.b) < 1e-12 && Math.abs(toPhoto.tx) < 1e-9 && Math.abs(toPhoto.ty) < 1e-9, JSON.stringify(toPhoto));
  assert.ok(rmsChipPixels < 1e-9);
});

test('a rotated, scaled, shifted face is fitted back exactly, and noise raises the residual', () => {
  const truth: Similarity = { a: 1.7 * Math.cos(0.4), b: 1.7 * Math.sin(0.4), tx: 312.5, ty: -41 };
  const landmarks = meanShape68().map((p) => applySimilarity(truth, p));
  const { toPhoto, rmsChipPixels } = chipTransform(landmarks);
  for (const k of ['a', 'b', 'tx', 'ty'] as const) assert.ok(close(toPhoto[k], truth[k], 1e-9), `${k}: ${toPhoto[k]} vs ${truth[k]}`);
  assert.ok(rmsChipPixels < 1e-9);
  let s = 7;
  const noisy = landmarks.map((p) => ({ x: p.x + (((s = (s * 48271) % 2147483647) / 2147483647) - 0.5) * 6, y: p.y }));
  assert.ok(chipTransform(noisy).rmsChipPixels > 0.2);
});

test('fitSimilarity is the least-squares fit, and inverting round-trips', () => {
  const from = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 0, y: 10 }];
  const to = [{ x: 1, y: 1 }, { x: 21, y: 1 }, { x: 1, y: 21 }];
  const t = fitSimilarity(from, to);
  assert.ok(close(t.a, 2) && Math.abs(t.b) < 1e-12 && close(t.tx, 1) && close(t.ty, 1));
  const inv = invertSimilarity(t);
  const p = applySimilarity(inv, applySimilarity(t, { x: 3.5, y: -8 }));
  assert.ok(close(p.x, 3.5) && close(p.y, -8));
  assert.equal(similarityScale(t), 2);
  assert.throws(() => fitSimilarity([{ x: 1, y: 1 }, { x: 1, y: 1 }], to.slice(0, 2)), /all coincide/);
  assert.throws(() => fitSimilarity(from, to.slice(0, 2)), /3 source points but 2 targets/);
  assert.throws(() => chipTransform(meanShape68().slice(0, 5)), /needs the 68 landmarks, got 5/);
});

/** A grey image whose value at (x, y) is a smooth function, so sampling errors are measurable. */
function pattern(width: number, height: number, f: (x: number, y: number) => number): PixelImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = Math.round(f(x, y));
  return { data, width, height, channels: 1 };
}

test('a face photographed rotated and scaled chips back to the same chip', () => {
  // the "face" lives in chip coordinates; the photo is that face seen through a similarity map
  const face = (u: number, v: number): number => 128 + 100 * Math.sin(u / 9) * Math.cos(v / 13);
  const truth: Similarity = { a: 1.3 * Math.cos(-0.3), b: 1.3 * Math.sin(-0.3), tx: 90, ty: 140 };
  const back = invertSimilarity(truth);
  const photo = pattern(420, 420, (x, y) => {
    const q = applySimilarity(back, { x, y });
    return face(q.x, q.y);
  });
  const landmarks = meanShape68().map((p) => applySimilarity(truth, p));
  const chip = extractChip(photo, chipTransform(landmarks).toPhoto);
  assert.equal(chip.width, DLIB_CHIP.size);
  let err = 0;
  for (let v = 0; v < 150; v++) for (let u = 0; u < 150; u++) err += Math.abs(chip.data[v * 150 + u] - face(u, v));
  assert.ok(err / (150 * 150) < 2, `mean abs error ${(err / 22500).toFixed(2)} grey levels`);
});

test('outside the photo is black, and a large photo is averaged, not aliased', () => {
  const flat = pattern(10, 10, () => 200);
  const shifted = extractChip(flat, { a: 1, b: 0, tx: -50, ty: 0 }, 20);
  assert.equal(shifted.data[0], 0);
  // a 1-pixel checkerboard shrunk 4x: every chip pixel is its mean (127.5), not a sampled 0 or 255
  const checker = pattern(400, 400, (x, y) => ((x + y) % 2) * 255);
  const small = extractChip(checker, { a: 4, b: 0, tx: 1.5, ty: 1.5 }, 50);
  const values = [...small.data.slice(0, 40 * 50)];
  assert.ok(values.every((v) => Math.abs(v - 127.5) <= 1), `range ${Math.min(...values)}..${Math.max(...values)}`);
  assert.throws(() => extractChip({ data: new Uint8Array(5), width: 2, height: 2, channels: 1 }, { a: 1, b: 0, tx: 0, ty: 0 }), /needs 4 values, got 5/);
});

test('chipOverhang: 0 for a chip on the photo, else how far its worst corner reaches out, in pixels', () => {
  const identity: Similarity = { a: 1, b: 0, tx: 0, ty: 0 };
  assert.equal(chipOverhang(150, 150, identity, 150), 0);
  assert.equal(chipOverhang(200, 180, identity, 150), 0);
  assert.equal(chipOverhang(150, 150, { ...identity, tx: -10 }, 150), 10);
  assert.equal(chipOverhang(150, 150, { ...identity, ty: 7 }, 150), 7);
  assert.equal(chipOverhang(100, 150, identity, 150), 50);
  // turned 45 degrees about the chip's centre: the corners reach out by (sqrt(2) - 1) / 2 of the side
  const c = Math.cos(Math.PI / 4), sn = Math.sin(Math.PI / 4);
  const turned: Similarity = { a: c, b: sn, tx: 74.5 - (c * 74.5 - sn * 74.5), ty: 74.5 - (sn * 74.5 + c * 74.5) };
  assert.ok(close(chipOverhang(150, 150, turned, 150), ((Math.SQRT2 - 1) / 2) * 150, 1e-9), String(chipOverhang(150, 150, turned, 150)));
});
