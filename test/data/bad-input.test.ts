/**
 * Bad input (issue 5, item 8): each case gives a clear error naming the file and what is wrong, and the
 * rest of the data stays usable. Malformed and duplicate pair lines are in pairs.test.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import sharp from 'sharp';
import { Dataset, DecodeCache, ImageDecodeError, ImageLoadError, decodeImage, decodeImageBuffer, formatSeed2Pairs, makePairList, lfwRef } from '../../lib/data';
import { bombPng, makeLfwFolder, solidImage, tempDir } from './fixtures';

async function jpeg(): Promise<Buffer> {
  const raw = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7) % 251;
  return sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

function decodeError(file: string, pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ImageDecodeError, `expected ImageDecodeError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.message, pattern);
    return true;
  };
}

test('zero-byte, truncated and corrupt JPEGs, and a text file named .jpg', async () => {
  const good = await jpeg();
  await assert.rejects(decodeImageBuffer(Buffer.alloc(0), 'empty.jpg'), decodeError('empty.jpg', /^cannot decode empty\.jpg: file is empty \(0 bytes\)$/));
  await assert.rejects(decodeImageBuffer(good.subarray(0, good.length >> 1), 'half.jpg'), decodeError('half.jpg', /half\.jpg: file is truncated or incomplete \(VipsJpeg: premature end of JPEG/));
  const corrupt = Buffer.from(good);
  for (let i = corrupt.length >> 1; i < (corrupt.length >> 1) + 40; i++) corrupt[i] ^= 0xff; // inside the scan data
  await assert.rejects(decodeImageBuffer(corrupt, 'bits.jpg'), decodeError('bits.jpg', /bits\.jpg: corrupt or unsupported image data \(.*Corrupt JPEG data/));
  const badHeader = Buffer.from(good);
  badHeader.fill(0xab, 4, 60); // inside the JPEG headers
  await assert.rejects(decodeImageBuffer(badHeader, 'head.jpg'), decodeError('head.jpg', /head\.jpg: corrupt or unsupported image data \(Input buffer has corrupt header/));
  await assert.rejects(decodeImageBuffer(Buffer.from('hello, this is not a picture\n'), 'notes.jpg'),
    decodeError('notes.jpg', /notes\.jpg: not an image: it starts with text "hello, this is n"/));
  await assert.rejects(decodeImageBuffer(Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8]), 'bin.jpg'), decodeError('bin.jpg', /not a recognised image format \(first bytes 0001020304050607\)/));
});

test('CMYK and 16-bit images decode to 8-bit sRGB', async () => {
  const base = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 30 } } });
  const cmyk = await base.clone().toColourspace('cmyk').jpeg().toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const fromCmyk = await decodeImageBuffer(cmyk, 'cmyk.jpg', { size: 4 });
  const [r, g, b] = fromCmyk.data;
  assert.ok(r > 150 && g < 80 && b < 80, `CMYK red stays red: ${[r, g, b]}`);
  const png16 = await base.clone().toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(png16).metadata()).depth, 'ushort');
  const from16 = await decodeImageBuffer(png16, 'deep.png', { size: 4 });
  assert.deepEqual(Array.from(from16.data.subarray(0, 3)), [200, 30, 30]);
});


test('a decompression bomb is refused by the pixel limit', async () => {
  const bomb = bombPng(60000, 60000); // 3.6 gigapixels claimed, a few hundred bytes on disk
  assert.ok(bomb.length < 2000);
  await assert.rejects(decodeImageBuffer(bomb, 'bomb.png'), decodeError('bomb.png', /bomb\.png: image has more than 100,000,000 pixels \(a decompression bomb\?\)/));
  // A lower limit (Dataset's maxPixels) applies to ordinary images too.
  await assert.rejects(decodeImageBuffer(await solidImage(200, 200, [1, 2, 3], 'png'), 'big.png', {}, 10000), /more than 10,000 pixels/);
});

test('HEIC is refused with a "convert it first" message', async () => {
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1')]);
  await assert.rejects(decodeImageBuffer(heic, 'IMG_0001.HEIC'), decodeError('IMG_0001.HEIC', /HEIC\/HEIF photos are not supported .* convert it first/));
});

test('a bad file in a dataset: its error names it, the other images still load (and are cached)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const root = path.join(dir, 'faces');
    const people = await makeLfwFolder(root, [3]);
    const badFile = path.join(root, people[0], `${people[0]}_0002.jpg`);
    fs.writeFileSync(badFile, 'oops');
    const cache = new DecodeCache(path.join(dir, 'cache'));
    const ds = await Dataset.open(root, { cache });
    await assert.rejects(ds.loadMany(ds.refs(), { size: 4 }), (e: unknown) => {
      assert.ok(e instanceof ImageLoadError);
      assert.equal(e.failures.length, 1);
      assert.match(e.message, new RegExp(`1 of 3 images could not be loaded:\\n  cannot decode ${badFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not an image`));
      assert.equal(e.images.filter((i) => i !== null).length, 2);
      return true;
    });
    assert.equal(cache.stats.misses, 2);
    await ds.load(lfwRef(people[0], 3), { size: 4 });
    assert.equal(cache.stats.hits, 1);
  } finally {
    cleanup();
  }
});

test('an empty person folder, a non-UTF-8 name and a symlink outside the root are skipped and reported', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const root = path.join(dir, 'faces');
    await makeLfwFolder(root, [2, 1], 8, ['Ann', 'Bob']);
    fs.mkdirSync(path.join(root, 'Empty_Person'));
    const latin1 = Buffer.concat([Buffer.from(root + '/Jos'), Buffer.from([0xe9])]); // "José" in Latin-1
    fs.mkdirSync(latin1);
    fs.writeFileSync(Buffer.concat([latin1, Buffer.from('/a.jpg')]), await solidImage(8, 8, [1, 2, 3]));
    const outside = path.join(dir, 'secret');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 's.jpg'), await solidImage(8, 8, [1, 2, 3]));
    fs.symlinkSync(outside, path.join(root, 'Sneaky'));
    fs.symlinkSync(path.join(outside, 's.jpg'), path.join(root, 'Ann', 'Ann_0009.jpg'));
    fs.symlinkSync(path.join(root, 'Bob', 'Bob_0001.jpg'), path.join(root, 'Ann', 'Ann_0003.jpg')); // inside: allowed
    const ds = await Dataset.open(root, { cache: null });
    assert.deepEqual(ds.people, ['Ann', 'Bob']);
    assert.deepEqual(ds.images('Ann'), ['Ann_0001.jpg', 'Ann_0002.jpg', 'Ann_0003.jpg']);
    const reasons = Object.fromEntries(ds.problems.map((p) => [p.path, p.reason]));
    assert.match(reasons['Empty_Person'], /empty person folder/);
    assert.match(reasons['Jos\u00e9'.slice(0, 3) + '\u00e9'], /name is not valid UTF-8 \(bytes 4a6f73e9\); rename it/);
    assert.match(reasons['Sneaky'], /symbolic link points outside the dataset root .*secret\); refused/);
    assert.match(reasons['Ann/Ann_0009.jpg'], /symbolic link points outside the dataset root/);
    assert.equal(ds.problems.length, 4);
    await assert.rejects(Dataset.open(root, { cache: null, strict: true }), /4 problem\(s\) in dataset/);
  } finally {
    cleanup();
  }
});

test('names with spaces work in datasets but cannot go into seed2 files', async () => {
  const { dir, cleanup } = tempDir();
  try {
    fs.mkdirSync(path.join(dir, 'Jane Doe'));
    fs.writeFileSync(path.join(dir, 'Jane Doe', 'my photo.jpg'), await solidImage(8, 8, [9, 9, 9]));
    const ds = await Dataset.open(dir, { cache: null });
    assert.deepEqual(ds.refs(), [{ person: 'Jane Doe', file: 'my photo.jpg' }]);
    assert.equal((await ds.load(ds.refs()[0], { size: 2 })).data.length, 12);
    const list = makePairList('p', [{ a: ds.refs()[0], b: lfwRef('Bob', 1), isSame: 0 }]);
    assert.throws(() => formatSeed2Pairs(list), /space-separated[\s\S]*"Jane Doe\/my photo.jpg"/);
  } finally {
    cleanup();
  }
});

test('an unreadable path is a clear error', async () => {
  await assert.rejects(decodeImage('/nonexistent/x.jpg'), /cannot decode \/nonexistent\/x\.jpg: cannot read the file \(ENOENT\)/);
});
