/**
 * Issue 16, `siamese verify` latency: the landmark net runs only on the face the cascade chooses, SSD is loaded
 * only when a photo needs it, and neither changes the face, landmarks, chip or verdict (face-api's bundled demo
 * photos: no LFW needed).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { initBackend } from '../../lib/backend';
import {
  cropFoundFace, detectChosenFace, detectFaces, disposeFaceApi, faceApi, loadFaceApi, prepareDecoded, readFaceCheck, readPhoto, resolveDetect,
  tinyInputFor, Verifier, type DetectedFace,
} from '../../lib/faces';

const root = path.resolve(__dirname, '..', '..');
const DEMO = path.join(root, 'node_modules', '@vladmandic', 'face-api', 'demo');
/** As `siamese verify` detects (lib/faces/verify-threshold.json). */
const VERIFY_DETECT = { detector: 'tiny' as const, tinyInputSize: 320, minScore: 0.3, choose: 'largest' as const };

/** Counts the landmark net's calls while `f` runs. */
async function countLandmarkCalls<T>(f: () => Promise<T>): Promise<{ value: T; calls: number }> {
  const net = faceApi().nets.faceLandmark68Net as unknown as { detectLandmarks: (...a: unknown[]) => Promise<unknown> };
  const orig = net.detectLandmarks;
  let calls = 0;
  net.detectLandmarks = function (this: unknown, ...a: unknown[]) { calls++; return orig.apply(this, a); };
  try {
    return { value: await f(), calls };
  } finally {
    net.detectLandmarks = orig;
  }
}

function sameFace(x: DetectedFace, y: DetectedFace): void {
  assert.deepEqual(x.box, y.box);
  assert.equal(x.score, y.score);
  assert.deepEqual(x.landmarks, y.landmarks);
  assert.deepEqual(x.alignedBox, y.alignedBox);
  assert.deepEqual(x.cropBox, y.cropBox);
  assert.equal(x.roll, y.roll);
  assert.deepEqual([x.found, x.pad, x.padMode, x.upscaled], [y.found, y.pad, y.padMode, y.upscaled]);
}

describe('verify latency (issue 16): landmarks for the chosen face only, SSD loaded when needed', () => {
  let dir: string;
  let crop = '';
  let face1: string;
  let face2: string;
  before(async () => {
    await initBackend({ quiet: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-verify-speed-'));
    // two ordinary face photos the tiny detector finds at once, and a tight crop (the face fills the frame) it
    // finds only on the padded photo: picked by what the cascade does, from the faces of face-api's group photos
    const found = async (file: string): Promise<string | undefined> => (await detectFaces((await readPhoto(file)).image, VERIFY_DETECT))[0]?.found;
    const plain: string[] = [];
    for (const i of [1, 2, 3]) {
      const photo = path.join(DEMO, `sample${i}.jpg`);
      const meta = await sharp(photo).metadata();
      for (const [j, g] of (await detectFaces((await readPhoto(photo, 1920)).image, VERIFY_DETECT)).entries()) {
        const cut = async (fx: number, fy: number, file: string, size: [number, number]): Promise<string> => {
          const w = Math.round(g.box.width * fx);
          const h = Math.round(g.box.height * fy);
          const left = Math.max(0, Math.round(g.box.left + g.box.width / 2 - w / 2));
          const top = Math.max(0, Math.round(g.box.top + g.box.height / 2 - h / 2));
          await sharp(photo).extract({ left, top, width: Math.min(w, meta.width! - left), height: Math.min(h, meta.height! - top) }).resize(size[0], size[1], { fit: 'fill' }).png().toFile(file);
          return file;
        };
        if (plain.length < 2) {
          const file = await cut(2.4, 2.4, path.join(dir, `face${i}-${j}.png`), [250, 250]);
          if (await found(file) === 'tiny') plain.push(file);
        }
        if (!crop) {
          for (const k of [0.8, 0.7, 0.9]) {
            const file = await cut(k, k * 1.1, path.join(dir, `tight${i}-${j}-${k}.png`), [96, 106]);
            if (await found(file) === 'tiny+pad') { crop = file; break; }
          }
        }
      }
    }
    assert.ok(plain.length === 2 && crop, `fixtures: ${plain.length} plain face photos, tight crop ${crop}`);
    [face1, face2] = plain;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a verifier loads no SSD, and a pair the tiny detector finds never loads it; a photo without a face does', async () => {
    disposeFaceApi(['ssd']);
    // one thread: the networks looked at are this thread's
    const v = await Verifier.create({ threads: 1 });
    assert.equal(faceApi().nets.ssdMobilenetv1.isLoaded, false, 'creating the verifier loaded SSD');
    const r = await v.verify(face1, face2);
    assert.deepEqual([r.a.found, r.b.found], ['tiny', 'tiny']);
    assert.ok(r.decision === 'same' || r.decision === 'different' || r.decision === 'uncertain', r.decision);
    assert.equal(faceApi().nets.ssdMobilenetv1.isLoaded, false, 'a tiny-only pair loaded SSD');
    const blank = path.join(dir, 'grey.png');
    await sharp({ create: { width: 200, height: 160, channels: 3, background: '#808080' } }).png().toFile(blank);
    const none = await v.verify(face1, blank);
    assert.equal(none.decision, 'no-face');
    assert.equal(none.b.status, 'no-face');
    assert.equal(faceApi().nets.ssdMobilenetv1.isLoaded, true, 'the whole cascade ran SSD');
  });

  it('runs SSD on the unpadded photo only when it is larger than the tiny detector\'s input (ssdWhenCovered)', async () => {
    await loadFaceApi(['ssd']);
    const net = faceApi().nets.ssdMobilenetv1 as unknown as { locateFaces: (...a: unknown[]) => Promise<unknown> };
    const orig = net.locateFaces;
    let calls = 0;
    net.locateFaces = function (this: unknown, ...a: unknown[]) { calls++; return orig.apply(this, a); };
    const ssdCalls = async (width: number, height: number, config: Record<string, unknown>): Promise<number> => {
      const grey = { data: new Uint8Array(width * height * 3).fill(128), width, height, channels: 3 as const };
      calls = 0;
      assert.equal((await detectFaces(grey, { ...VERIFY_DETECT, ...config })).length, 0);
      return calls;
    };
    try {
      // 200 px: the tiny detector's 320-px input shows all of it; SSD runs on the two padded photos only
      assert.equal(await ssdCalls(200, 160, {}), 2);
      assert.equal(await ssdCalls(200, 160, { ssdWhenCovered: true }), 3);
      // 640 px: more than the tiny detector's input (416) shows at full size; SSD on the photo too
      assert.equal(await ssdCalls(640, 480, {}), 3);
      assert.throws(() => resolveDetect({ ssdWhenCovered: 1 as never }), /ssdWhenCovered must be true or false/);
    } finally {
      net.locateFaces = orig;
    }
  });

  it('the chosen face equals detectFaces()[0] in group photos, with one landmark-net call instead of one per face', async () => {
    for (const i of [1, 2, 3]) {
      const image = (await readPhoto(path.join(DEMO, `sample${i}.jpg`))).image;
      const all = await countLandmarkCalls(() => detectFaces(image, VERIFY_DETECT));
      const chosen = await countLandmarkCalls(() => detectChosenFace(image, VERIFY_DETECT));
      assert.ok(all.value.length >= 3, `sample${i}: ${all.value.length} faces`);
      assert.equal(all.calls, all.value.length);
      assert.equal(chosen.calls, 1, `sample${i}: landmark net ran ${chosen.calls} times`);
      assert.equal(chosen.value.facesFound, all.value.length);
      sameFace(chosen.value.face!, all.value[0]);
    }
  });

  it('the landmarks are the ones face-api\'s withFaceLandmarks() computes for that face (the previous path)', async () => {
    const image = (await readPhoto(path.join(DEMO, 'sample2.jpg'))).image;
    const c = resolveDetect(VERIFY_DETECT);
    const api = await loadFaceApi(['tiny', 'landmarks']);
    const input = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
    let old;
    try {
      old = await api.detectAllFaces(input, new api.TinyFaceDetectorOptions({ inputSize: tinyInputFor(c, image.width, image.height), scoreThreshold: c.minScore })).withFaceLandmarks();
    } finally {
      input.dispose();
    }
    const { face } = await detectChosenFace(image, VERIFY_DETECT);
    const match = old.find((r) => r.detection.box.x === face!.box.left && r.detection.box.y === face!.box.top);
    assert.ok(match, 'the chosen face is one of face-api\'s detections');
    assert.deepEqual(face!.landmarks, match.landmarks.positions.map((p) => ({ x: p.x, y: p.y })));
    const a = match.landmarks.align();
    assert.deepEqual(face!.alignedBox, { left: a.x, top: a.y, width: a.width, height: a.height });
  });

  it('a tight crop (padded pass): the same face, chip and face check as detectFaces()[0], one landmark-net call', async () => {
    const photo = await readPhoto(crop);
    const all = await detectFaces(photo.image, VERIFY_DETECT);
    const chosen = await countLandmarkCalls(() => prepareDecoded(crop, photo, { size: 150, detect: VERIFY_DETECT, check: readFaceCheck().threshold }));
    assert.ok(all.length >= 1, 'no face in the tight crop');
    assert.equal(all[0].found, 'tiny+pad');
    assert.equal(chosen.calls, 1);
    assert.equal(chosen.value.status, 'face');
    sameFace(chosen.value.face!, all[0]);
    const chip = await cropFoundFace(photo.image, all[0], 150, resolveDetect(VERIFY_DETECT));
    assert.deepEqual(chosen.value.crop!.data, chip.data);
  });

  it('leaks no tensors across verifies on every path (tiny, padded, no face)', async () => {
    const v = await Verifier.create({ warmUp: false });
    const blank = path.join(dir, 'grey2.png');
    await sharp({ create: { width: 120, height: 120, channels: 3, background: '#306090' } }).png().toFile(blank);
    await v.verify(face1, crop);
    await v.verify(blank, face2); // loads every network once
    const fresh = await Verifier.create({ warmUp: false });
    const tensors = tf.memory().numTensors;
    await fresh.verify(face1, face2);
    await fresh.verify(crop, blank);
    assert.equal(tf.memory().numTensors, tensors);
  });
});
