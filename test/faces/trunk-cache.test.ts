import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { extractChip, LFW_FIXED_CHIP } from '../../lib/faces/chip';
import { readPhoto } from '../../lib/faces/detect';
import { loadRecognitionNet, trunkActivations, TRUNK_SIZE, type RecognitionNet } from '../../lib/faces/recognition-net';
import { deriveTrunkCache, fillTrunkCache, TrunkCache, TRUNK_RECORD } from '../../lib/faces/trunk-cache';

/** A 250x250 LFW-sized picture with no face in it (a smooth pattern), written as JPEG. */
async function picture(file: string, k: number): Promise<void> {
  const raw = Buffer.alloc(250 * 250 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (Math.floor(i / 3) % 250) * k % 256 ^ (i % 3) * 50;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(raw, { raw: { width: 250, height: 250, channels: 3 } }).jpeg().toFile(file);
}

describe('trunk cache: frozen trunk activations per image, in resumable shards', () => {
  let root: string;
  let net: RecognitionNet;
  const refs = ['Ann/Ann_0001.jpg', 'Ann/Ann_0002.jpg', 'Bob/Bob_0001.jpg'];
  before(async () => {
    await initBackend();
    net = loadRecognitionNet();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-trunk-'));
    for (const [i, r] of refs.entries()) await picture(path.join(root, 'lfw', r), i + 2);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('stores the chip and its mirror; with no face found, the counted fixed chip', async () => {
    const dir = path.join(root, 'cache');
    const res = await fillTrunkCache(net, path.join(root, 'lfw'), refs, dir, 0);
    assert.equal(res.added, 3);
    assert.equal(res.found.fixed, 3, 'patterns have no face: every image took the fixed chip, and it is counted');
    const cache = TrunkCache.open(dir);
    assert.equal(cache.records.size, 3);
    const got = cache.activations('Bob/Bob_0001.jpg');
    assert.equal(got.length, TRUNK_RECORD);
    const { image } = await readPhoto(path.join(root, 'lfw', 'Bob/Bob_0001.jpg'), 800);
    const chip = extractChip(image, LFW_FIXED_CHIP, 150);
    const want = tf.tidy(() => {
      const t = tf.tensor4d(chip.data, [1, 150, 150, 3], 'int32');
      return trunkActivations(net, tf.concat([t, tf.reverse(t, 2)])).dataSync();
    });
    for (let i = 0; i < TRUNK_RECORD; i += 97) assert.ok(Math.abs(got[i] - want[i]) < 1e-6, `value ${i}`);
    assert.notDeepEqual(Array.from(got.subarray(0, 50)), Array.from(got.subarray(TRUNK_SIZE, TRUNK_SIZE + 50)), 'the mirror differs from the chip');
  });

  it('resumes after an interruption: stray floats are cut off, a half-written line ignored, nothing redone', async () => {
    const dir = path.join(root, 'resume');
    await fillTrunkCache(net, path.join(root, 'lfw'), refs.slice(0, 1), dir, 0);
    // an interrupted second image: its floats were written, its index line only half
    fs.appendFileSync(path.join(dir, 'trunk-0.f32'), Buffer.alloc(1000));
    fs.appendFileSync(path.join(dir, 'index-0.jsonl'), '{"ref":"Ann/Ann_00');
    assert.equal(TrunkCache.open(dir).records.size, 1);
    fs.writeFileSync(path.join(dir, 'index-0.jsonl'), fs.readFileSync(path.join(dir, 'index-0.jsonl'), 'utf8').replace(/\{"ref":"Ann\/Ann_00$/, ''));
    const res = await fillTrunkCache(net, path.join(root, 'lfw'), refs, dir, 0);
    assert.equal(res.added, 2, 'only the missing images are described');
    const cache = TrunkCache.open(dir);
    assert.equal(fs.statSync(path.join(dir, 'trunk-0.f32')).size, 3 * TRUNK_RECORD * 4);
    const fresh = TrunkCache.open(path.join(root, 'cache'));
    assert.deepEqual(Array.from(cache.activations('Bob/Bob_0001.jpg').subarray(0, 64)), Array.from(fresh.activations('Bob/Bob_0001.jpg').subarray(0, 64)));
  });

  it('redoes the records it is told to, in their own shard: the later line stands for the image', async () => {
    const dir = path.join(root, 'redo');
    await fillTrunkCache(net, path.join(root, 'lfw'), refs, dir, 0);
    const before = Array.from(TrunkCache.open(dir).activations('Ann/Ann_0002.jpg').subarray(0, 64));
    const elsewhere = await fillTrunkCache(net, path.join(root, 'lfw'), refs, dir, 1, undefined, (r) => r.ref === 'Ann/Ann_0002.jpg');
    assert.equal(elsewhere.added, 0, "a record of shard 0 is not redone by filling shard 1");
    const res = await fillTrunkCache(net, path.join(root, 'lfw'), refs, dir, 0, undefined, (r) => r.ref === 'Ann/Ann_0002.jpg');
    assert.equal(res.added, 1);
    const cache = TrunkCache.open(dir);
    assert.equal(cache.records.size, 3);
    assert.equal(cache.records.get('Ann/Ann_0002.jpg')!.index, 3, 'the redone record is the appended line');
    assert.equal(fs.readFileSync(path.join(dir, 'index-0.jsonl'), 'utf8').trim().split('\n').length, 4);
    assert.deepEqual(Array.from(cache.activations('Ann/Ann_0002.jpg').subarray(0, 64)), before, 'the same image gives the same activations');
  });

  it("holds the activations before the trunk's last blocks when declared so; a cache made from it by running them is the filled one, bit for bit", async () => {
    const lfw = path.join(root, 'lfw');
    const short = TrunkCache.declare(path.join(root, 'open2'), 2);
    assert.equal(short.open, 2);
    await fillTrunkCache(net, lfw, refs, short.dir, 0);
    const filled = TrunkCache.open(short.dir);
    assert.equal(filled.open, 2, 'the folder says what it holds');
    const { image } = await readPhoto(path.join(lfw, 'Ann/Ann_0001.jpg'), 800);
    const chip = extractChip(image, LFW_FIXED_CHIP, 150);
    const want = tf.tidy(() => trunkActivations(net, tf.tensor4d(chip.data, [1, 150, 150, 3], 'int32'), 2).dataSync());
    assert.deepEqual(Array.from(filled.activations('Ann/Ann_0001.jpg').subarray(0, TRUNK_SIZE)), Array.from(want));
    await fillTrunkCache(net, lfw, refs, path.join(root, 'whole'), 0);
    const whole = TrunkCache.open(path.join(root, 'whole'));
    assert.equal(whole.open, 0, 'a folder without cache.json holds the trunk\'s output');
    const before = tf.memory().numTensors;
    assert.deepEqual(deriveTrunkCache(net, filled, 1, path.join(root, 'open1')), { added: 3 });
    assert.deepEqual(deriveTrunkCache(net, TrunkCache.open(path.join(root, 'open1')), 0, path.join(root, 'made0')), { added: 3 });
    assert.deepEqual(deriveTrunkCache(net, filled, 0, path.join(root, 'made0')), { added: 0 }, 'resumes: nothing to add');
    assert.equal(tf.memory().numTensors, before, 'tensor count changed');
    const made = TrunkCache.open(path.join(root, 'made0'));
    assert.equal(made.open, 0);
    for (const r of refs) {
      assert.deepEqual(Array.from(made.activations(r)), Array.from(whole.activations(r)), `${r}: chip and mirror`);
      assert.deepEqual({ ...made.records.get(r) }, { ...whole.records.get(r) }, `${r}: the same record`);
    }
    assert.throws(() => deriveTrunkCache(net, whole, 1, path.join(root, 'no')), /stops 0 block\(s\) short of the trunk's output: a cache 1 short cannot be made from it/);
    assert.throws(() => TrunkCache.declare(short.dir, 1), /holds activations 2 block\(s\) short of the trunk's output, not 1: use another folder/);
    fs.writeFileSync(path.join(root, 'open1', 'cache.json'), '{"open": 5}');
    assert.throws(() => TrunkCache.open(path.join(root, 'open1')), /cache\.json: 0, 1 or 2 of the trunk's last blocks may be opened, got 5/);
  });

  it('names the file and line of a corrupt index, and an image it lacks', () => {
    const dir = path.join(root, 'bad');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'index-0.jsonl'), 'not json\n{"ref":"A/A_0001.jpg","found":"tiny","faces":1,"shard":0,"index":0}\n\n');
    assert.throws(() => TrunkCache.open(dir), /index-0\.jsonl:1: not JSON/);
    assert.throws(() => TrunkCache.open(path.join(root, 'cache')).activations('Zed/Zed_0001.jpg'), /Zed\/Zed_0001\.jpg is not in the trunk cache/);
  });

  it('reports unreadable images and goes on', async () => {
    const lfw = path.join(root, 'lfw');
    fs.mkdirSync(path.join(lfw, 'Cy'), { recursive: true });
    fs.writeFileSync(path.join(lfw, 'Cy', 'Cy_0001.jpg'), 'not a jpeg');
    const res = await fillTrunkCache(net, lfw, ['Cy/Cy_0001.jpg', ...refs], path.join(root, 'cache'), 1);
    assert.equal(res.added, 0);
    assert.equal(res.errors.length, 1);
    assert.match(res.errors[0], /Cy_0001\.jpg/);
  });
});
