import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { initBackend } from '../../lib/backend';
import type { DecodedImage } from '../../lib/data/types';
import {
  dedupeFaces, detectFaces, detectPasses, NON_FACE_FAMILIES, nonFaces, padImage, prepareDecoded, readFaceCheck, readPhoto, resolveDetect,
  tightCrop, tightCropSpec, Verifier, writeVerifyModel,
} from '../../lib/faces';
import { createRng } from '../../lib/util/rng';

const root = path.resolve(__dirname, '..', '..');
const DEMO = path.join(root, 'node_modules', '@vladmandic', 'face-api', 'demo');
/** As `siamese verify` detects (lib/faces/verify-threshold.json). */
const VERIFY_DETECT = { detector: 'tiny' as const, tinyInputSize: 320, minScore: 0.3 };
const settings = readFaceCheck();
const fitFamily = String(settings.fittedOn).match(/family "([a-z]+)"/)?.[1];
const heldOut = NON_FACE_FAMILIES.filter((f) => f !== fitFamily);

async function png(file: string, img: DecodedImage): Promise<string> {
  await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } }).png().toFile(file);
  return file;
}

describe('detection cascade: pieces', () => {
  it('pads with a mirrored or mean-coloured border of a fraction of the longer side', async () => {
    const img: DecodedImage = { data: Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => (i % 3 === 0 ? 10 * Math.floor(i / 3) : 0)), width: 4, height: 2, channels: 3 };
    const m = await padImage(img, 0.5, 'mirror');
    assert.deepEqual([m.image.width, m.image.height, m.dx, m.dy], [8, 6, 2, 2]);
    // the original sits at (dx, dy)
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) assert.equal(m.image.data[((y + 2) * 8 + x + 2) * 3], img.data[(y * 4 + x) * 3]);
    const mean = await padImage(img, 0.5, 'mean');
    assert.equal(mean.image.data[0], Math.round((0 + 10 + 20 + 30 + 40 + 50 + 60 + 70) / 8));
    // a border wider than the image is mirrored in steps
    const wide = await padImage(img, 2, 'mirror');
    assert.deepEqual([wide.image.width, wide.image.height], [20, 18]);
  });

  it('runs tiny, tiny padded, SSD, SSD padded in that order, and suppresses duplicate boxes', () => {
    assert.deepEqual(detectPasses(resolveDetect({})).map((p) => `${p.found}@${p.pad}`), ['tiny@0', 'tiny+pad@0.6', 'tiny+pad@1', 'ssd@0', 'ssd+pad@0.6', 'ssd+pad@1']);
    assert.deepEqual(detectPasses(resolveDetect({ equalize: true })).map((p) => `${p.found}@${p.pad}`),
      ['tiny@0', 'tiny+pad@0.6', 'tiny+pad@1', 'ssd@0', 'ssd+pad@0.6', 'ssd+pad@1', 'tiny+eq@0', 'tiny+eq+pad@0.6', 'tiny+eq+pad@1']);
    assert.deepEqual(detectPasses(resolveDetect({ equalize: true })).map((p) => p.equalized), [false, false, false, false, false, false, true, true, true]);
    assert.deepEqual(detectPasses(resolveDetect({ detector: 'ssd', pads: [] })).map((p) => p.found), ['ssd']);
    assert.deepEqual(detectPasses(resolveDetect({ detector: 'ssd', pads: [], equalize: true })).map((p) => p.found), ['ssd', 'ssd+eq']);
    assert.deepEqual(detectPasses(resolveDetect({ ssdFallback: false })).map((p) => p.found), ['tiny', 'tiny+pad', 'tiny+pad']);
    assert.throws(() => resolveDetect({ equalize: 'yes' as never }), /detect equalize must be true or false, got "yes"/);
    // the rescue passes: every pass again at the lowered score, with the rescue paddings
    const rescue = detectPasses(resolveDetect({ ssdFallback: false, rescueScore: 0.15, rescuePads: [1.5] }));
    assert.deepEqual(rescue.map((p) => `${p.found}@${p.pad}`), ['tiny@0', 'tiny+pad@0.6', 'tiny+pad@1', 'tiny+low@0', 'tiny+pad+low@1.5']);
    assert.deepEqual(rescue.map((p) => p.low), [false, false, false, true, true]);
    assert.equal(detectPasses(resolveDetect({ rescueScore: 0 })).some((p) => p.low), false, 'no rescue passes by default');
    assert.throws(() => resolveDetect({ rescueScore: 2 }), /detect rescueScore must be in \[0, 1\] \(0: no rescue passes\), got 2/);
    assert.throws(() => resolveDetect({ rescuePads: [3] }), /detect rescuePads must be a list of fractions/);
    const box = (left: number, top: number, side: number) => ({ left, top, width: side, height: side });
    const kept = dedupeFaces([{ box: box(0, 0, 100), score: 0.6 }, { box: box(30, 30, 100), score: 0.7 }, { box: box(300, 0, 100), score: 0.5 }]);
    assert.deepEqual(kept.map((k) => k.score), [0.7, 0.5]);
    assert.throws(() => resolveDetect({ pads: [0] }), /detect pads must be a list of fractions .* got \[0\]/);
    assert.throws(() => resolveDetect({ padMode: 'wrap' as never }), /padMode must be "mirror" or "mean", got "wrap"/);
    assert.throws(() => resolveDetect({ tinyInputMax: 256 }), /tinyInputMax must be a multiple of 32, at least tinyInputSize \(320\), got 256/);
  });
});

describe('detection and the face check on real and generated images', () => {
  let dir: string;
  before(async () => {
    await initBackend({ quiet: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-face-check-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds every person in face-api\'s group photos, and no one twice (3, 3, 3, 4, 5, 4)', async () => {
    const counts: number[] = [];
    for (let i = 1; i <= 6; i++) counts.push((await detectFaces((await readPhoto(path.join(DEMO, `sample${i}.jpg`))).image, VERIFY_DETECT)).length);
    assert.deepEqual(counts, [3, 3, 3, 4, 5, 4]);
  });

  it('finds the face in tight, small, wide, tall and grey crops (padded and upscaled), and they pass the face check', async () => {
    const photo = path.join(DEMO, 'sample1.jpg');
    const faces = await detectFaces((await readPhoto(photo, 1920)).image, { detector: 'ssd' });
    assert.equal(faces.length, 3);
    const rng = createRng('tight-demo');
    const found: string[] = [];
    for (const [i, f] of faces.entries()) {
      // a square photo around the face, about 2.2 face widths wide, cut tight by tightCropSpec like an LFW image
      const side = Math.round(f.box.width * 2.2);
      const sq = await sharp(photo).extract({ left: Math.round(f.box.left + f.box.width / 2 - side / 2), top: Math.round(f.box.top + f.box.height / 2 - side / 2), width: side, height: side }).png().toBuffer();
      for (let k = 0; k < 3; k++) {
        const file = path.join(dir, `tight-${i}-${k}.png`);
        const spec = { ...tightCropSpec(rng), ...(k === 0 ? { grey: true } : {}) };
        fs.writeFileSync(file, await tightCrop(sq, spec));
        const p = await readPhoto(file);
        assert.ok(Math.max(p.image.width, p.image.height) <= 128 && Math.min(p.image.width, p.image.height) >= 48, `${file}: ${p.image.width}x${p.image.height}`);
        const detected = await prepareDecoded(file, p, { size: 150, detect: VERIFY_DETECT, check: settings.threshold });
        assert.equal(detected.status, 'face', `${file}: ${detected.note}`);
        found.push(detected.found!);
        const aligned = await prepareDecoded(file, p, { size: 150, aligned: true, detect: VERIFY_DETECT, check: settings.threshold });
        assert.equal(aligned.status, 'aligned', `${file}: ${aligned.note}`);
        assert.ok(aligned.faceCheck!.isFace && aligned.faceCheck!.rms <= settings.threshold);
      }
    }
    assert.ok(found.some((f) => f.endsWith('+pad')), `some crops need the padded pass: ${found.join(', ')}`);
  });

  it('finds a faded grey face only on the contrast-equalised photo (equalize, off by default; as the LFW cache detects), and it passes the face check', async () => {
    const photo = path.join(DEMO, 'sample2.jpg');
    const f = (await detectFaces((await readPhoto(photo, 1920)).image, { detector: 'ssd' }))[1];
    const side = Math.round(f.box.width);
    // the face box itself (no margin), 64 px, grey, its contrast cut to 0.3
    const faded = await sharp(photo).extract({ left: Math.round(f.box.left + f.box.width / 2 - side / 2), top: Math.round(f.box.top + f.box.height / 2 - side / 2), width: side, height: side })
      .resize(64, 64).greyscale().linear(0.3, 80).png().toBuffer();
    const file = path.join(dir, 'faded.png');
    fs.writeFileSync(file, faded);
    const p = await readPhoto(file);
    assert.deepEqual(await detectFaces(p.image, VERIFY_DETECT), [], 'no pass on the photo itself finds it');
    // what the equalised padded pass finds is the face's mirror copy across the border, 28 % of its box on the photo:
    // it counts as the LFW trunk cache counts it (equalize on, minOnPhoto 0), not under the default minOnPhoto
    assert.deepEqual(await detectFaces(p.image, { ...VERIFY_DETECT, equalize: true }), [], 'mostly off the photo: not counted by default');
    const lfwLike = { ...VERIFY_DETECT, equalize: true, minOnPhoto: 0 };
    const found = await detectFaces(p.image, lfwLike);
    assert.equal(found[0]?.found, 'tiny+eq+pad');
    const prepared = await prepareDecoded(file, p, { size: 150, detect: lfwLike, check: settings.threshold });
    assert.equal(prepared.status, 'face', prepared.note);
    assert.equal(prepared.found, 'tiny+eq+pad');
  });

  it('a padded pass counts a "face" only when most of its box is on the photo (minOnPhoto): the mirror-made one on a noise image goes', async () => {
    // bench/face-check.ts's noise image 0: the mirrored border's axes make a symmetric picture the tiny detector takes for a face
    const img = (await nonFaces('noise', 1, 'bench'))[0];
    const loose = await detectFaces(img, { ...VERIFY_DETECT, minOnPhoto: 0 });
    assert.equal(loose.length, 1, 'with the centre rule alone the detector finds a "face"');
    const b = loose[0].box;
    const on = ((Math.min(b.left + b.width, img.width) - Math.max(b.left, 0)) * (Math.min(b.top + b.height, img.height) - Math.max(b.top, 0))) / (b.width * b.height);
    assert.ok(loose[0].found.endsWith('+pad') && on < resolveDetect().minOnPhoto, `found by ${loose[0].found}, ${(100 * on).toFixed(0)} % of its box on the photo`);
    assert.deepEqual(await detectFaces(img, VERIFY_DETECT), [], 'with the default rule it is not a face');
    assert.throws(() => resolveDetect({ minOnPhoto: 1.5 }), /minOnPhoto must be in \[0, 1\]/);
  });

  it(`rejects generated non-faces of the held-out families (${heldOut.join(', ')}; fitted on ${fitFamily}): never a crop, with or without --aligned`, async () => {
    assert.ok(fitFamily && heldOut.length === NON_FACE_FAMILIES.length - 1, `face-check.json names its fit family: ${settings.fittedOn}`);
    for (const family of heldOut) {
      for (const [i, img] of (await nonFaces(family, 4, 'test')).entries()) {
        const file = `${family}-${i}.png`;
        const aligned = await prepareDecoded(file, img, { size: 150, aligned: true, detect: VERIFY_DETECT, check: settings.threshold });
        assert.equal(aligned.status, 'not-a-face', `${file} --aligned: ${aligned.note}`);
        assert.equal(aligned.crop, undefined);
        const detected = await prepareDecoded(file, img, { size: 150, detect: VERIFY_DETECT, check: settings.threshold });
        assert.ok(detected.status === 'no-face' || detected.status === 'not-a-face', `${file}: ${detected.status}: ${detected.note}`);
      }
    }
  });

  it('siamese verify: non-faces get "not a face" (exit 2), never SAME/DIFFERENT, with and without --aligned', async () => {
    const f = path.join(dir, 'settings.json');
    writeVerifyModel('face-api', { threshold: 0.55, uncertainBand: 0.03, higherIsCloser: false, fittedOn: 'test', command: 'none', detect: VERIFY_DETECT }, f);
    const files: string[] = [];
    for (const family of NON_FACE_FAMILIES) for (const [i, img] of (await nonFaces(family, 4, 'verify')).entries()) files.push(await png(path.join(dir, `${family}-${i}.png`), img));
    assert.ok(files.length >= 20);
    for (const aligned of [true, false]) {
      const v = await Verifier.create({ model: 'face-api', settingsFile: f, aligned, warmUp: false });
      const decisions = new Set<string>();
      for (let i = 0; i < files.length; i++) decisions.add((await v.verify(files[i], files[(i + 1) % files.length])).decision);
      assert.ok(!decisions.has('same') && !decisions.has('different') && !decisions.has('uncertain'), `aligned=${aligned}: ${[...decisions].join(', ')}`);
      if (aligned) assert.deepEqual([...decisions], ['not-a-face']);
    }
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'lib', 'cli', 'main.ts'), 'verify', ...args], { cwd: root, encoding: 'utf8', timeout: 180_000 });
    const text = path.join(dir, 'text-0.png');
    const r = cli(text, path.join(dir, 'shapes-1.png'), '--aligned');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stdout, /verdict: NO ANSWER: not a face: text-0\.png and shapes-1\.png are not a face/);
    assert.match(r.stdout, /a: .*text-0\.png: not a face: /);
    assert.doesNotMatch(r.stdout, /SAME|DIFFERENT/);
  });
});

const LFW = process.env.LFW_DIR;
describe('tight crops of LFW faces (LFW_DIR)', { skip: !LFW && 'set LFW_DIR to run' }, () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it('finds a face in 30 tight crops (48-128 px, wide, tall, grey) and each passes the face check', async () => {
    const rng = createRng('lfw-tight-test');
    const people = rng.sample(fs.readdirSync(LFW!).filter((p) => fs.statSync(path.join(LFW!, p)).isDirectory()).sort(), 30);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-lfw-tight-'));
    try {
      for (const person of people) {
        const src = path.join(LFW!, person, fs.readdirSync(path.join(LFW!, person)).sort()[0]);
        const file = path.join(dir, `${person}.png`);
        fs.writeFileSync(file, await tightCrop(src, tightCropSpec(rng)));
        const p = await prepareDecoded(file, await readPhoto(file), { size: 150, aligned: true, detect: VERIFY_DETECT, check: settings.threshold });
        assert.equal(p.status, 'aligned', `${file}: ${p.note}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
