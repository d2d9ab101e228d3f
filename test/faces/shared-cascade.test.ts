/**
 * Issue 16, `siamese verify`'s no-face latency: one photo's detection cascade shared by two threads
 * (lib/faces/detect.ts `SharedCascade`, lib/faces/photo-helper.ts `PassMailbox`). The claims come in cascade
 * order, only once the owner lets the other thread join, and stop after the first pass that found a face; the
 * owner's answer is the unshared cascade's, bit for bit, whoever ran which pass (here the "other thread" is a second
 * task on this thread, interleaved with the owner at every await, so the test does not depend on timing); a pass
 * the other side could not run is run by the owner. The two-thread path itself is checked in photo-helper.test.ts.
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { initBackend } from '../../lib/backend';
import type { DecodedImage } from '../../lib/data/types';
import { detectChosenFace, detectFaces, detectPasses, faceApiDemoPhotos, nonFaces, readPhoto, resolveDetect } from '../../lib/faces';
import { helpCascade, SharedCascade, type DetectConfig, type PassOutcome } from '../../lib/faces/detect';
import { PassMailbox } from '../../lib/faces/photo-helper';

describe('SharedCascade: claims in cascade order, none after a face', () => {
  it('hands out each pass once across views of one buffer, and stops after the first face found', () => {
    const a = SharedCascade.create();
    const b = new SharedCascade(a.buffer);
    assert.deepEqual([a.claim(6), b.claim(6), a.claim(6)], [0, 1, 2]);
    b.foundAt(3);
    assert.equal(a.claim(6), 3, 'the pass that found the face may still be claimed');
    assert.equal(b.claim(6), -1, 'no pass after it');
    b.foundAt(5);
    assert.equal(a.claim(6), -1, 'a later find does not reopen passes');
  });

  it('lets the other thread join only once the owner opens the cascade, and wakes it when the owner is done', async () => {
    const owner = SharedCascade.create();
    const other = new SharedCascade(owner.buffer);
    const order: string[] = [];
    const joined = other.claimToHelp(6).then((i) => { order.push(`other ${i}`); return i; });
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setTimeout(r, 5));
      order.push(`owner ${owner.claim(6)}`);
    }
    owner.openToHelp();
    assert.equal(await joined, 3);
    assert.deepEqual(order, ['owner 0', 'owner 1', 'owner 2', 'other 3']);
    const done = SharedCascade.create();
    done.claim(6);
    const waiting = new SharedCascade(done.buffer).claimToHelp(6);
    done.close();
    assert.equal(await waiting, -1, 'closed before the other thread could join');
  });

  it('stops at the number of passes and when closed, and refuses a buffer of the wrong size', () => {
    const a = SharedCascade.create();
    assert.deepEqual([a.claim(2), a.claim(2), a.claim(2)], [0, 1, -1]);
    const c = SharedCascade.create();
    c.close();
    assert.equal(c.claim(6), -1);
    assert.throws(() => new SharedCascade(new SharedArrayBuffer(8)), /12-byte/);
  });
});

describe('PassMailbox: outcomes from the other thread', () => {
  const outcome: PassOutcome = { faces: [], count: 0 };
  it('gives an outcome delivered before or after the wait, per photo and pass', async () => {
    const box = new PassMailbox();
    box.expect(1);
    box.expect(2);
    box.deliver(1, 2, outcome);
    assert.equal(await box.theirs(1, 2), outcome);
    const waiting = box.theirs(1, 3);
    box.deliver(2, 3, null);
    box.deliver(1, 3, outcome);
    assert.equal(await waiting, outcome);
    assert.equal(await box.theirs(2, 3), null);
  });

  it('drops outcomes for a photo it does not expect or has forgotten (a pass that ran after the face was found)', async () => {
    const box = new PassMailbox();
    box.deliver(7, 0, outcome);
    box.expect(5);
    box.deliver(5, 1, outcome);
    box.forget(5);
    box.deliver(5, 2, outcome);
    assert.equal((box as unknown as { arrived: Map<string, unknown> }).arrived.size, 0, 'nothing kept');
    assert.equal(await box.theirs(5, 1), null);
  });

  it('answers null to every wait once the other thread is gone', async () => {
    const box = new PassMailbox();
    box.expect(0);
    const waiting = box.theirs(0, 0);
    box.close();
    assert.equal(await waiting, null);
    assert.equal(await box.theirs(0, 1), null);
  });
});

describe('a cascade shared by two tasks gives the unshared answer', () => {
  let noFace: DecodedImage;
  let photo: DecodedImage;
  let tight: DecodedImage;
  before(async () => {
    await initBackend({ quiet: true });
    await tf.setBackend('wasm');
    [noFace] = await nonFaces('gradients', 1, 'shared-cascade-test');
    // a face cut at its box, 96 px: the tiny detector needs the padded photo (or SSD) to find it
    photo = (await readPhoto(faceApiDemoPhotos()[0])).image;
    const face = (await detectFaces(photo))[0];
    const { left, top, width, height } = face.box;
    const png = await sharp(Buffer.from(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength), { raw: { width: photo.width, height: photo.height, channels: 3 } })
      .extract({ left: Math.round(left + 0.08 * width), top: Math.round(top + 0.08 * height), width: Math.round(0.84 * width), height: Math.round(0.84 * height) })
      .resize(96, 96).png().toBuffer();
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    tight = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
  });

  /** The owner's answer with a second task helping (its outcomes replaced by null when `fails`), and the passes that task ran. */
  async function shared(image: DecodedImage, config: Partial<DetectConfig> = {}, fails = false): Promise<{ face: Awaited<ReturnType<typeof detectChosenFace>>; helped: number }> {
    const box = new PassMailbox();
    const owned = box.own(0);
    // opened from the start: on one thread the helper could not wake while the owner's SSD passes run (they await no
    // I/O), so it would join only at the end; it claims pass 0, then the two alternate at every await
    owned.cascade.openToHelp();
    const helping = helpCascade(image, config, {}, new SharedCascade(owned.cascade.buffer), (pass, outcome) => box.deliver(0, pass, fails ? null : outcome));
    const face = await detectChosenFace(image, config, {}, owned);
    owned.done();
    return { face, helped: await helping };
  }

  it('no face: every pass runs once, some on the other task, and nothing is found', async () => {
    const alone = await detectChosenFace(noFace);
    const n0 = tf.memory().numTensors;
    const { face, helped } = await shared(noFace);
    assert.deepEqual(face, alone);
    assert.equal(face.face, undefined);
    assert.ok(helped >= 1 && helped < detectPasses(resolveDetect()).length, `the other task ran ${helped} passes`);
    assert.equal(tf.memory().numTensors, n0, 'no tensor left behind');
  });

  it('a face only SSD finds (the tiny detector held to 0.99): the other task finds it, and the owner takes that outcome', async () => {
    const config = { minScore: 0.99 };
    const alone = await detectChosenFace(photo, config);
    assert.ok(alone.face?.found.startsWith('ssd'), `found by ${alone.face?.found}`);
    const { face, helped } = await shared(photo, config);
    assert.deepEqual(face, alone);
    assert.ok(helped >= 1);
  });

  it('a tight crop: the same face, landmarks and pass', async () => {
    const alone = await detectChosenFace(tight);
    assert.ok(alone.face, 'the tight crop holds a face');
    const { face } = await shared(tight);
    assert.deepEqual(face, alone);
  });

  it('runs a pass itself when the other side could not', async () => {
    const alone = await detectChosenFace(noFace);
    const { face, helped } = await shared(noFace, {}, true);
    assert.ok(helped >= 1);
    assert.deepEqual(face, alone);
  });
});
