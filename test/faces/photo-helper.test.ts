/**
 * Issue 16, `siamese verify` on two cores: a helper thread prepares every other photo (photo-helper.ts), and the
 * thread done first runs passes of the other's detection cascade. The verdicts, faces and crops are the same bit
 * for bit as on one thread, a photo's error still names it, a dead
 * or closed helper leaves the verifier working on one thread, and the helper leaves no tensors here.
 * Face-api's bundled demo photos and generated non-faces: no LFW needed.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { initBackend } from '../../lib/backend';
import { faceApiDemoPhotos, nonFaces, PhotoHelper, Verifier, type Verdict } from '../../lib/faces';

/** What must not change with the thread a photo was prepared on. */
function sameVerdict(x: Verdict, y: Verdict, what: string): void {
  assert.equal(y.decision, x.decision, `${what}: decision`);
  assert.equal(y.value, x.value, `${what}: distance`);
  for (const k of ['a', 'b'] as const) {
    assert.equal(y[k].status, x[k].status, `${what}: ${k} status`);
    assert.equal(y[k].found, x[k].found, `${what}: ${k} found by`);
    assert.deepEqual(y[k].face?.landmarks, x[k].face?.landmarks, `${what}: ${k} landmarks`);
    assert.deepEqual(y[k].crop?.data, x[k].crop?.data, `${what}: ${k} crop pixels`);
    assert.deepEqual(y[k].embedding, x[k].embedding, `${what}: ${k} descriptor`);
  }
}

describe('Verifier on two threads (a helper thread prepares every other photo)', () => {
  let dir: string;
  let demo: string[];
  let noFace: string;
  let one: Verifier;
  let two: Verifier;
  before(async () => {
    await initBackend({ quiet: true });
    await tf.setBackend('wasm');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-photo-helper-'));
    demo = faceApiDemoPhotos().slice(0, 3);
    const [img] = await nonFaces('gradients', 1, 'photo-helper-test');
    noFace = path.join(dir, 'gradient.png');
    await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } }).png().toFile(noFace);
    one = await Verifier.create({ threads: 1 });
    two = await Verifier.create({ threads: 2 });
  });
  after(async () => {
    await two?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same verdicts, faces, crops and descriptors as one thread', async () => {
    assert.equal(one.threads, 1);
    assert.equal(two.threads, 2);
    const pairs: [string, string][] = [[demo[0], demo[1]], [demo[1], demo[2]], [demo[2], noFace], [noFace, demo[0]]];
    for (const [a, b] of pairs) sameVerdict(await one.verify(a, b), await two.verify(a, b), `${path.basename(a)} vs ${path.basename(b)}`);
    const v = await two.verify(noFace, demo[0]);
    assert.equal(v.decision, 'no-face');
  });

  it("lets the thread done first run passes of the other's cascade, both ways, with the same answers", async () => {
    // photos neither verifier has seen (a photo is prepared once per verifier): a face here and a non-face there, then the other way
    const copy = (f: string, name: string): string => { const c = path.join(dir, name); fs.copyFileSync(f, c); return c; };
    const helper = (two as unknown as { helper: PhotoHelper }).helper;
    const before = helper.sharedPasses;
    const faceFirst: [string, string] = [copy(demo[1], 'shared-face-1.jpg'), copy(noFace, 'shared-noface-1.png')];
    sameVerdict(await one.verify(...faceFirst), await two.verify(...faceFirst), 'a face, then a non-face');
    const afterFirst = helper.sharedPasses;
    assert.ok(afterFirst.here > before.here, `this thread ran passes of the helper's non-face: ${JSON.stringify([before, afterFirst])}`);
    const noFaceFirst: [string, string] = [copy(noFace, 'shared-noface-2.png'), copy(demo[1], 'shared-face-2.jpg')];
    sameVerdict(await one.verify(...noFaceFirst), await two.verify(...noFaceFirst), 'a non-face, then a face');
    const afterSecond = helper.sharedPasses;
    assert.ok(afterSecond.there > afterFirst.there, `the helper ran passes of this thread's non-face: ${JSON.stringify([afterFirst, afterSecond])}`);
    // two pairs asked for at once (their photos interleave on both threads): both answered, as on one thread
    const p1: [string, string] = [copy(noFace, 'at-once-1.png'), copy(demo[2], 'at-once-1.jpg')];
    const p2: [string, string] = [copy(demo[0], 'at-once-2.jpg'), copy(noFace, 'at-once-2.png')];
    const [v1, v2] = await Promise.all([two.verify(...p1), two.verify(...p2)]);
    sameVerdict(await one.verify(...p1), v1, 'first of two at once');
    sameVerdict(await one.verify(...p2), v2, 'second of two at once');
  });

  it("names the photo in an error raised on the helper thread, and the other photos' answers are kept", async () => {
    const missing = path.join(dir, 'missing.jpg');
    const fresh = path.join(dir, 'copy.jpg');
    fs.copyFileSync(demo[0], fresh);
    // position 1 goes to the helper
    const settled = await (two as unknown as { embedSettled(f: readonly string[]): Promise<PromiseSettledResult<unknown>[]> }).embedSettled([fresh, missing]);
    assert.equal(settled[0].status, 'fulfilled');
    assert.equal(settled[1].status, 'rejected');
    assert.match(((settled[1] as PromiseRejectedResult).reason as Error).message, /missing\.jpg/);
    await assert.rejects(one.verify(fresh, missing), /missing\.jpg/);
  });

  it('leaves no tensors on this thread over repeated pairs', async () => {
    const photos = [demo[0], demo[1], demo[2]].map((f, i) => {
      const copy = path.join(dir, `leak-${i}${path.extname(f)}`);
      fs.copyFileSync(f, copy);
      return copy;
    });
    await two.verify(photos[0], photos[1]);
    const n0 = tf.memory().numTensors;
    await two.verify(photos[1], photos[2]);
    await two.verify(photos[2], photos[0]);
    assert.equal(tf.memory().numTensors, n0);
  });

  it('goes on, on one thread, once the helper is closed', async () => {
    const v = await Verifier.create({ threads: 2 });
    assert.equal(v.threads, 2);
    await v.close();
    assert.equal(v.threads, 1);
    const r = await v.verify(demo[0], demo[1]);
    sameVerdict(await one.verify(demo[0], demo[1]), r, 'after close');
  });

  it('rejects a prepare after close, and a helper that cannot start says why', async () => {
    const h = await PhotoHelper.start({ prepare: { size: 150 }, maxSide: 800, backend: 'wasm', warmUp: false });
    assert.equal(h.alive, true);
    await h.close();
    assert.equal(h.alive, false);
    await assert.rejects(h.prepare(demo[0]), /after close/);
    await assert.rejects(PhotoHelper.start({ prepare: { size: 150, load: { modelDir: path.join(dir, 'no-such-models') } }, maxSide: 800, backend: 'wasm' }), /photo helper thread failed to start/);
    await assert.rejects(Verifier.create({ threads: 3 as 2 }), /threads must be 1 or 2/);
  });
});
