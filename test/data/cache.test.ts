import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Dataset, DecodeCache, MemoryDecodeCache, lfwRef, pipelineMemoryBudget } from '../../lib/data';
import { decodeImage, resolveLoadOptions } from '../../lib/data/image';
import { makeLfwFolder, solidImage, tempDir } from './fixtures';

test('the second load comes from the cache and equals the first', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const people = await makeLfwFolder(path.join(dir, 'faces'), [3, 2]);
    const cache = new DecodeCache(path.join(dir, 'cache'));
    const ds = await Dataset.open(path.join(dir, 'faces'), { cache });
    const refs = ds.refs();
    const first = await ds.loadMany(refs, { size: 8 });
    assert.deepEqual(cache.stats, { hits: 0, misses: 5, repaired: 0 });
    const second = await ds.loadMany(refs, { size: 8 });
    assert.deepEqual(cache.stats, { hits: 5, misses: 5, repaired: 0 });
    assert.deepEqual(second.map((i) => Array.from(i.data)), first.map((i) => Array.from(i.data)));
    assert.deepEqual((await cache.size()).entries, 5);
    // Another instance on the same folder (a rerun) hits too.
    const rerun = new DecodeCache(path.join(dir, 'cache'));
    await rerun.load(ds.path(lfwRef(people[0], 1)), { size: 8, crop: ds.crop });
    assert.equal(rerun.stats.hits, 1);
  } finally {
    cleanup();
  }
});

test('size, channels, crop and the file itself are all part of the key', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'a.png');
    fs.writeFileSync(file, await solidImage(10, 10, [255, 0, 0], 'png'));
    const cache = new DecodeCache(path.join(dir, 'cache'));
    await cache.load(file, { size: 4 });
    await cache.load(file, { size: 5 });
    await cache.load(file, { size: 4, channels: 1 });
    await cache.load(file, { size: 4, crop: { kind: 'center', fraction: 0.5 } });
    assert.equal(cache.stats.misses, 4);
    await cache.load(file, { size: 4 });
    assert.equal(cache.stats.hits, 1);
    // Replacing the file (new size and mtime) invalidates its entries.
    fs.writeFileSync(file, await solidImage(12, 12, [0, 0, 255], 'png'));
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const img = await cache.load(file, { size: 4 });
    assert.equal(cache.stats.misses, 5);
    assert.deepEqual(Array.from(img.data.subarray(0, 3)), [0, 0, 255]);
  } finally {
    cleanup();
  }
});

test('a damaged cache entry is decoded again and replaced', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'a.png');
    fs.writeFileSync(file, await solidImage(10, 10, [0, 255, 0], 'png'));
    const cache = new DecodeCache(path.join(dir, 'cache'));
    await cache.load(file, { size: 4 });
    const shard = fs.readdirSync(cache.dir)[0];
    const entry = path.join(cache.dir, shard, fs.readdirSync(path.join(cache.dir, shard))[0]);
    fs.writeFileSync(entry, Buffer.from('garbage'));
    const img = await cache.load(file, { size: 4 });
    assert.equal(cache.stats.repaired, 1);
    assert.deepEqual(Array.from(img.data.subarray(0, 3)), [0, 255, 0]);
    assert.equal(fs.statSync(entry).size, 16 + 4 * 4 * 3);
  } finally {
    cleanup();
  }
});

test('MemoryDecodeCache: a hit reads no file, the options are part of the key, and the budget is never exceeded', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const people = await makeLfwFolder(path.join(dir, 'faces'), [3, 2]);
    const ds = await Dataset.open(path.join(dir, 'faces'), { cache: null });
    const file = ds.path(lfwRef(people[0], 1));
    const opts = resolveLoadOptions({ size: 8, crop: ds.crop });
    let loads = 0;
    const load = (o: typeof opts) => () => { loads++; return decodeImage(file, o); };
    const memory = new MemoryDecodeCache(3 * 8 * 8 * 3);
    const first = await memory.load(file, opts, load(opts));
    const again = await memory.load(file, opts, load(opts));
    assert.equal(loads, 1, 'the second load is served from memory');
    assert.deepEqual(Array.from(again.data), Array.from(first.data));
    assert.deepEqual(memory.stats, { hits: 1, misses: 1 });
    const grey = resolveLoadOptions({ size: 8, channels: 1, crop: ds.crop });
    assert.equal((await memory.load(file, grey, load(grey))).channels, 1, 'other options: another entry');
    assert.equal(loads, 2);
    // 256 bytes held of 576: one more RGB image (192) fits, the next would not
    const others = ds.refs().map((r) => ds.path(r)).filter((f) => f !== file);
    for (const f of others) await memory.load(f, opts, () => decodeImage(f, opts));
    assert.ok(memory.bytes <= memory.budgetBytes, `${memory.bytes} bytes held within ${memory.budgetBytes}`);
    assert.equal(memory.bytes, 192 + 64 + 192, 'first come first kept: the next image that fits, then nothing more');
    const none = new MemoryDecodeCache(0);
    await none.load(file, opts, load(opts));
    await none.load(file, opts, load(opts));
    assert.equal(none.bytes, 0);
    assert.deepEqual(none.stats, { hits: 0, misses: 2 });
    assert.throws(() => new MemoryDecodeCache(-1), /budget/);
  } finally {
    cleanup();
  }
});

test('SIAMESE_PIPELINE_MEMORY_MB: default 256 MB, 0 turns it off, anything else but a number >= 0 is refused', () => {
  assert.equal(pipelineMemoryBudget(undefined), 256 * 2 ** 20);
  assert.equal(pipelineMemoryBudget(' '), 256 * 2 ** 20);
  assert.equal(pipelineMemoryBudget('0'), 0);
  assert.equal(pipelineMemoryBudget('1.5'), 1.5 * 2 ** 20);
  for (const bad of ['-1', 'lots', 'NaN', 'Infinity']) assert.throws(() => pipelineMemoryBudget(bad), /SIAMESE_PIPELINE_MEMORY_MB/);
});
