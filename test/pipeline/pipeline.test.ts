import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { Dataset, DecodeCache, makePairList, type PairList, type Pair } from '../../lib/data';
import { createPairPipeline, resolvePipelineConfig, IMAGENET_MEAN, IMAGENET_STD, type PairBatch, type PairPipeline } from '../../lib/pipeline';
import { pipelineNice } from '../../lib/pipeline/pipeline-worker';
import { Rng } from '../../lib/util/rng';
import { tempDir } from '../data/fixtures';

const SIZE = 16;
let tmp: { dir: string; cleanup: () => void };
let dataset: Dataset;
let pairs: PairList;

/** Writes `people` x `perPerson` lossless PNGs of seeded random pixels (so geometry changes pixels). */
async function makeFolder(root: string, people: number, perPerson: number): Promise<void> {
  const rng = new Rng('pipeline-fixture');
  for (let p = 0; p < people; p++) {
    const name = `Person_${String.fromCharCode(65 + p)}`;
    fs.mkdirSync(path.join(root, name), { recursive: true });
    for (let i = 1; i <= perPerson; i++) {
      const px = Buffer.alloc(SIZE * SIZE * 3);
      for (let k = 0; k < px.length; k++) px[k] = rng.int(256);
      await sharp(px, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toFile(path.join(root, name, `${name}_${String(i).padStart(4, '0')}.png`));
    }
  }
}

function pairsOf(ds: Dataset, n: number): PairList {
  const people = ds.people;
  const list: Pair[] = [];
  for (let i = 0; list.length < n; i++) {
    const p = people[i % people.length];
    const q = people[(i + 1) % people.length];
    list.push(i % 2 === 0
      ? { a: { person: p, file: ds.images(p)[0] }, b: { person: p, file: ds.images(p)[1] }, isSame: 1 }
      : { a: { person: p, file: ds.images(p)[2] }, b: { person: q, file: ds.images(q)[0] }, isSame: 0 });
  }
  return makePairList('test', list);
}

interface Snapshot {
  readonly keys: string[];
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly isSame: number[];
  readonly epoch: number;
  readonly index: number;
}

function snap(batch: PairBatch): Snapshot {
  return {
    keys: batch.pairs.map((p) => `${p.a.file}|${p.b.file}`), a: batch.a.dataSync() as Float32Array, b: batch.b.dataSync() as Float32Array,
    isSame: Array.from(batch.isSame.dataSync()), epoch: batch.epoch, index: batch.index,
  };
}

async function take(p: PairPipeline, k: number): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for (let i = 0; i < k; i++) {
    const b = await p.next();
    out.push(snap(b));
    b.dispose();
  }
  return out;
}

function assertSameBatches(x: Snapshot[], y: Snapshot[], what: string): void {
  assert.equal(x.length, y.length);
  x.forEach((s, i) => {
    assert.deepEqual(s.keys, y[i].keys, `${what}: batch ${i} pairs`);
    assert.deepEqual([s.epoch, s.index], [y[i].epoch, y[i].index], `${what}: batch ${i} position`);
    assert.ok(Buffer.from(s.a.buffer).equals(Buffer.from(y[i].a.buffer)) && Buffer.from(s.b.buffer).equals(Buffer.from(y[i].b.buffer)), `${what}: batch ${i} pixels`);
  });
}

describe('pair pipeline', () => {
  before(async () => {
    await initBackend({ quiet: true });
    tmp = tempDir('siamese-pipeline-');
    await makeFolder(path.join(tmp.dir, 'faces'), 6, 3);
    dataset = await Dataset.open(path.join(tmp.dir, 'faces'), { cache: null });
    pairs = pairsOf(dataset, 10);
  });
  after(() => tmp.cleanup());

  it('resolves its config and names bad values', () => {
    const c = resolvePipelineConfig({ augment: 'siamese-cnn', preprocessing: { size: 112, normalization: 'imagenet' } });
    assert.equal(c.augment.name, 'siamese-cnn');
    assert.deepEqual(resolvePipelineConfig({ augment: 'seed2' }).augment, c.augment, 'the old name: the same policy');
    assert.deepEqual(c.preprocessing, { size: 112, channels: 3, normalization: 'imagenet' });
    assert.deepEqual(JSON.parse(JSON.stringify(c)), c, 'the config is JSON data');
    assert.throws(() => resolvePipelineConfig({ batchSize: 0 }), /batchSize must be a positive integer, got 0/);
    assert.throws(() => resolvePipelineConfig({ batchsize: 4 } as never), /unknown option "batchsize"/);
    assert.throws(() => resolvePipelineConfig({ preprocessing: { normalization: 'unit' as never } }), /normalization must be one of zeroOne, minusOneOne, byte, imagenet, got "unit"/);
    assert.throws(() => resolvePipelineConfig({ preprocessing: { channels: 2 as never } }), /channels must be 1 or 3, got 2/);
    assert.throws(() => resolvePipelineConfig({ augment: 'strong' }), /augment policy "strong" is not a preset/);
  });

  it('makes batches of the right shape, dtype and labels; an epoch covers every pair once', async () => {
    const p = await createPairPipeline(pairs, dataset, { batchSize: 3, preprocessing: { size: SIZE }, worker: false, seed: 3 });
    assert.equal(p.batchesPerEpoch, 4);
    const seen: string[] = [];
    const sizes: number[] = [];
    for await (const b of p.epoch()) {
      const n = b.pairs.length;
      sizes.push(n);
      assert.deepEqual(b.a.shape, [n, SIZE, SIZE, 3]);
      assert.deepEqual(b.b.shape, [n, SIZE, SIZE, 3]);
      assert.equal(b.a.dtype, 'float32');
      assert.deepEqual(b.isSame.shape, [n]);
      assert.deepEqual(Array.from(b.isSame.dataSync()), b.pairs.map((q) => q.isSame));
      seen.push(...b.pairs.map((q) => `${q.a.file}|${q.b.file}`));
    }
    assert.deepEqual(sizes, [3, 3, 3, 1]);
    assert.deepEqual([...seen].sort(), pairs.pairs.map((q) => `${q.a.file}|${q.b.file}`).sort());
    assert.deepEqual(p.position, { epoch: 1, batch: 0 });
    const next = await take(p, 1);
    assert.notDeepEqual(next[0].keys, seen.slice(0, 3), 'epoch 1 is shuffled differently');
    await p.close();
    const dl = await createPairPipeline(pairs, dataset, { batchSize: 3, dropLast: true, worker: false, preprocessing: { size: SIZE } });
    assert.equal(dl.batchesPerEpoch, 3);
    await dl.close();
  });

  it('normalises as the model asks: [0, 1], [-1, 1], 0-255, ImageNet, and grey', async () => {
    const first = pairs.pairs[0];
    const raw = await dataset.load(first.a, { size: SIZE, channels: 3 });
    const expect: Record<string, (v: number, c: number) => number> = {
      zeroOne: (v) => v / 255,
      minusOneOne: (v) => (v / 255) * 2 - 1,
      byte: (v) => v,
      imagenet: (v, c) => (v / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c],
    };
    for (const [normalization, f] of Object.entries(expect)) {
      const p = await createPairPipeline(pairs, dataset, { batchSize: 2, shuffle: false, worker: false, preprocessing: { size: SIZE, normalization: normalization as never } });
      const b = await p.next();
      const got = b.a.dataSync();
      for (let i = 0; i < raw.data.length; i++) {
        assert.ok(Math.abs(got[i] - f(raw.data[i], i % 3)) < 1e-5 * Math.max(1, Math.abs(f(raw.data[i], i % 3))), `${normalization}: value ${i} is ${got[i]}, expected ${f(raw.data[i], i % 3)}`);
      }
      b.dispose();
      await p.close();
    }
    const grey = await createPairPipeline(pairs, dataset, { batchSize: 2, shuffle: false, worker: false, augment: 'default', preprocessing: { size: 8, channels: 1 } });
    const g = await grey.next();
    assert.deepEqual(g.a.shape, [2, 8, 8, 1]);
    g.dispose();
    await grey.close();
  });

  it('is deterministic: the same seed gives the same batches, another seed another order', async () => {
    const cfg = { batchSize: 3, worker: false, augment: 'default', preprocessing: { size: SIZE } };
    const p1 = await createPairPipeline(pairs, dataset, { ...cfg, seed: 5 });
    const p2 = await createPairPipeline(pairs, dataset, { ...cfg, seed: 5 });
    const p3 = await createPairPipeline(pairs, dataset, { ...cfg, seed: 6 });
    const [x, y, z] = [await take(p1, 5), await take(p2, 5), await take(p3, 5)];
    assertSameBatches(x, y, 'same seed');
    assert.notDeepEqual(x.map((s) => s.keys), z.map((s) => s.keys));
    await Promise.all([p1.close(), p2.close(), p3.close()]);
  });

  it('a worker thread gives exactly the pixels the calling thread gives (through a decode cache)', async () => {
    const cached = await Dataset.open(dataset.root, { cache: new DecodeCache(path.join(tmp.dir, 'cache')) });
    const cfg = { batchSize: 4, augment: 'siamese-cnn', seed: 2, preprocessing: { size: SIZE } };
    const inWorker = await createPairPipeline(pairs, cached, { ...cfg, worker: true });
    const inThread = await createPairPipeline(pairs, cached, { ...cfg, worker: false });
    const [x, y] = [await take(inWorker, 4), await take(inThread, 4)];
    assertSameBatches(x, y, 'worker vs thread');
    assert.equal(inWorker.stats.workerBackend, tf.getBackend() === 'tensorflow' ? 'tfjs-node' : tf.getBackend());
    const plain = await createPairPipeline(pairs, cached, { ...cfg, augment: 'none', worker: false });
    const none = await take(plain, 1);
    assert.ok(!Buffer.from(none[0].a.buffer).equals(Buffer.from(x[0].a.buffer)), 'augmentation changed the pixels');
    await Promise.all([inWorker.close(), inThread.close(), plain.close()]);
  });

  it('the worker thread lowers its own priority (nice 10) and no other thread\'s; SIAMESE_PIPELINE_NICE is checked', async (t) => {
    assert.equal(pipelineNice(undefined), 10);
    assert.equal(pipelineNice('0'), 0);
    assert.equal(pipelineNice(' 5 '), 5);
    assert.throws(() => pipelineNice('high'), /SIAMESE_PIPELINE_NICE="high": use an integer from 0 \(off\) to 19/);
    assert.throws(() => pipelineNice('20'), /SIAMESE_PIPELINE_NICE="20"/);
    process.env.SIAMESE_PIPELINE_NICE = 'high';
    try {
      // checked on this thread before the worker starts: the error says what to set, no worker dies
      await assert.rejects(async () => {
        const bad = await createPairPipeline(pairs, dataset, { batchSize: 3, worker: true, preprocessing: { size: SIZE } });
        try { (await bad.next()).dispose(); } finally { await bad.close(); }
      }, /SIAMESE_PIPELINE_NICE="high": use an integer from 0 \(off\) to 19/);
    } finally {
      delete process.env.SIAMESE_PIPELINE_NICE;
    }
    if (process.platform !== 'linux') return t.skip('niceness per thread is read from /proc (Linux)');
    const niceOfThreads = (): number[] => fs.readdirSync('/proc/self/task').map((tid) => {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19: nice
    });
    const before = niceOfThreads();
    const p = await createPairPipeline(pairs, dataset, { batchSize: 3, worker: true, preprocessing: { size: SIZE } });
    (await p.next()).dispose();
    const during = niceOfThreads();
    await p.close();
    assert.equal(during.filter((n) => n === 10).length, before.filter((n) => n === 10).length + 1, `one more thread at nice 10: ${during}`);
    assert.equal(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[16], '0', 'this thread keeps nice 0');
  });

  it('a restored position continues with the same next batches, mid-epoch and across the epoch end', async () => {
    const cfg = { batchSize: 3, augment: 'default', seed: 9, preprocessing: { size: SIZE } };
    const a = await createPairPipeline(pairs, dataset, { ...cfg, worker: true });
    await take(a, 3);
    const saved = JSON.parse(JSON.stringify(a.state()));
    assert.deepEqual([saved.epoch, saved.batch], [0, 3]);
    const rest = await take(a, 3);
    await a.close();
    const b = await createPairPipeline(pairs, dataset, { ...cfg, worker: false }, { resume: saved });
    assert.deepEqual(b.position, { epoch: 0, batch: 3 });
    assertSameBatches(await take(b, 3), rest, 'restored');
    await b.close();
    await assert.rejects(createPairPipeline(pairs, dataset, { ...cfg, seed: 10 }, { resume: saved }), /saved state has seed = 9, this pipeline has 10/);
    await assert.rejects(createPairPipeline(pairsOf(dataset, 9), dataset, cfg, { resume: saved }), /saved state has numPairs = 10, this pipeline has 9/);
  });

  it('the worker makes the next batch while the calling thread is busy; the same thread cannot', async () => {
    // prefetch 0: the next batch is requested as `next()` returns; then this thread spins without yielding.
    const finishedDuringBlock = async (worker: boolean): Promise<{ finished: number; blockStart: number; blockEnd: number }> => {
      const p = await createPairPipeline(pairs, dataset, { batchSize: 4, augment: 'siamese-cnn', prefetch: 0, worker, preprocessing: { size: SIZE } });
      (await p.next()).dispose();
      const blockStart = Date.now();
      while (Date.now() - blockStart < 1000) { /* busy: a training step would be here */ }
      const blockEnd = Date.now();
      const b = await p.next();
      b.dispose();
      await p.close();
      return { finished: b.finishedAt, blockStart, blockEnd };
    };
    const w = await finishedDuringBlock(true);
    assert.ok(w.finished < w.blockEnd, `with a worker the batch was finished at ${w.finished - w.blockStart} ms into a ${w.blockEnd - w.blockStart} ms block`);
    const t = await finishedDuringBlock(false);
    assert.ok(t.finished >= t.blockEnd, 'on the same thread the batch can only be finished after the block');
  });

  it('leaks no tensors: next + dispose, a full epoch loop, and a loop left early', async () => {
    const p = await createPairPipeline(pairs, dataset, { batchSize: 3, augment: 'default', worker: false, preprocessing: { size: SIZE } });
    (await p.next()).dispose();
    const before = tf.memory().numTensors;
    (await p.next()).dispose();
    assert.equal(tf.memory().numTensors, before);
    for await (const b of p.epoch()) assert.ok(b.a.size > 0);
    assert.equal(tf.memory().numTensors, before, 'epoch() disposes each batch');
    for await (const b of p.epoch()) {
      assert.ok(b.a.size > 0);
      break;
    }
    assert.equal(tf.memory().numTensors, before, 'leaving the loop early disposes the batch');
    const pending = p.next();
    await assert.rejects(p.next(), /called again before the previous call finished/);
    (await pending).dispose();
    await p.close();
    assert.equal(tf.memory().numTensors, before);
  });

  it('closing while the worker decodes the next batches lets it finish the batch in hand and end itself (no terminate mid-read)', async () => {
    // Node 20 aborts the whole process when a thread is terminated during a file read (see stopWorker); a notebook
    // kernel died that way. Each close here comes while the worker is reading the prefetched batches' files.
    for (let i = 0; i < 12; i++) {
      const p = await createPairPipeline(pairs, dataset, { batchSize: 10, prefetch: 4, worker: true, seed: i, preprocessing: { size: SIZE } });
      (await p.next()).dispose();
      const started = performance.now();
      await p.close();
      assert.ok(performance.now() - started < 5000, 'close waits for one batch, not for the timeout');
    }
  });

  it('names the missing image and its pair line; a corrupt file fails the batch without moving the position', async () => {
    const ghost = makePairList('ghosts', [{ a: { person: 'Person_A', file: 'Person_A_0009.png' }, b: pairs.pairs[0].b, isSame: 1 }]);
    await assert.rejects(createPairPipeline(ghost, dataset), /<ghosts>:1: image Person_A\/Person_A_0009.png is not in dataset/);
    const root = path.join(tmp.dir, 'broken');
    fs.cpSync(dataset.root, root, { recursive: true });
    const bad = path.join(root, 'Person_A', 'Person_A_0001.png');
    fs.writeFileSync(bad, Buffer.from('not a png at all'));
    const ds = await Dataset.open(root, { cache: null });
    const p = await createPairPipeline(pairsOf(ds, 10), ds, { batchSize: 10, shuffle: false, worker: true, preprocessing: { size: SIZE } });
    await assert.rejects(p.next(), (err: Error) => err.message.includes('Person_A_0001.png'));
    assert.deepEqual(p.position, { epoch: 0, batch: 0 });
    await p.close();
  });
});
