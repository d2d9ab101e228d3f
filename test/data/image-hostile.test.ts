/**
 * Hostile images (issue 14, area "images"): absurd Netpbm headers, image headers claiming huge sizes, files
 * that are not images, folders, links and special files given as photos, odd shapes and encodings. Each
 * case asserts the exact error naming the file (and the header line for Netpbm) or the correct result, on
 * both decoders: the training decoder (`decodeImageBuffer`) and the photo reader of the face commands
 * (`readPhoto`).
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { ImageDecodeError, decodeImage, decodeImageBuffer, readPnm } from '../../lib/data';
import { prepareFace, readPhoto } from '../../lib/faces';
import { hostile } from '../hostile';
import { bombPng, tempDir } from './fixtures';

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir('siamese-image-hostile-')));
after(() => cleanup());

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Asserts `p` rejects with an ImageDecodeError for `file` whose message matches `pattern`. */
async function refuses(p: Promise<unknown>, file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ImageDecodeError, `expected ImageDecodeError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.message, new RegExp(`^cannot decode ${esc(file)}: `));
    assert.match(e.message, pattern);
    return true;
  });
}

/** Writes `bytes` to `name` in the temporary folder, returns the path. */
function put(name: string, bytes: Uint8Array | string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
}

hostile('images', 'a PGM header claiming 100000x100000 pixels is refused before any allocation (was "Invalid typed array length")', async () => {
  const f = put('huge.pgm', 'P5\n100000 100000\n255\n\x00\x00');
  const before = process.memoryUsage().arrayBuffers;
  await refuses(decodeImage(f), f, /Netpbm image is 100000x100000 = 10,000,000,000 pixels, more than the limit of 100,000,000 \(a decompression bomb\?\)$/);
  await refuses(readPhoto(f), f, /Netpbm image is 100000x100000 = 10,000,000,000 pixels, more than the limit of 100,000,000/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 50e6, 'nothing big was allocated');
});

// ---- Netpbm headers and data: refused before allocation, naming the file and the header line ----

const pgm = (header: string, data: Uint8Array | string = ''): Buffer => Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(data as never)]);

hostile('images', 'PGM with width 0', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n0 64\n255\n'), 'zero.pgm'), 'zero.pgm', /zero\.pgm: bad Netpbm header, line 3: the size must be at least 1x1, got 0x64$/);
});

hostile('images', 'PGM with a negative width', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n-5 64\n255\n'), 'neg.pgm'), 'neg.pgm', /neg\.pgm: bad Netpbm header, line 2: expected the width \(a whole number\), found "-5"$/);
});

hostile('images', 'PGM with maximum value 0', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n4 4\n0\n', Buffer.alloc(16)), 'max0.pgm'), 'max0.pgm', /max0\.pgm: bad Netpbm header, line 3: the maximum value must be 1\.\.65535, got 0$/);
});

hostile('images', 'PGM with maximum value above 65535', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n4 4\n70000\n', Buffer.alloc(32)), 'max.pgm'), 'max.pgm', /max\.pgm: bad Netpbm header, line 3: the maximum value must be 1\.\.65535, got 70000$/);
});

hostile('images', 'binary PGM shorter than its header says', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n4 4\n255\n', Buffer.alloc(10)), 'short.pgm'), 'short.pgm', /short\.pgm: truncated Netpbm data, need 16 bytes, have 10 \(the header says 4x4, maximum value 255\)$/);
});

hostile('images', '16-bit PPM shorter than its header says (two bytes a sample)', async () => {
  await refuses(decodeImageBuffer(pgm('P6\n4 4\n65535\n', Buffer.alloc(48)), 'short16.ppm'), 'short16.ppm', /short16\.ppm: truncated Netpbm data, need 96 bytes, have 48 \(the header says 4x4, maximum value 65535\)$/);
});

hostile('images', 'ASCII PGM whose header promises far more values than the file can hold', async () => {
  await refuses(decodeImageBuffer(pgm('P2\n4000 4000\n255\n1 2 3\n'), 'few.pgm'), 'few.pgm', /few\.pgm: truncated Netpbm data, the header says 4000x4000 \(16,000,000 values\) but only 7 bytes follow it$/);
});

hostile('images', 'ASCII PGM one value short', async () => {
  await refuses(decodeImageBuffer(pgm('P2\n2 2\n255\n1      2      3\n'), 'one.pgm'), 'one.pgm', /one\.pgm: truncated Netpbm data, got 3 of 4 values$/);
});

hostile('images', 'garbage token for the height', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n64 x64\n255\n'), 'g.pgm'), 'g.pgm', /g\.pgm: bad Netpbm header, line 2: expected the height \(a whole number\), found "x64"$/);
});

hostile('images', 'letters glued to the width', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n64abc 64\n255\n'), 'glued.pgm'), 'glued.pgm', /glued\.pgm: bad Netpbm header, line 2: expected the width \(a whole number\), found "64abc"$/);
});

hostile('images', 'a 20-digit width', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n99999999999999999999 1\n255\n'), 'long.pgm'), 'long.pgm', /long\.pgm: bad Netpbm header, line 2: expected the width \(a whole number\), found "99999999999999999999"$/);
});

hostile('images', 'comments between every header value are read correctly', async () => {
  const bytes = pgm('P5\n# made by hand\n2 # width\n# height next\n2\n# max\n255\n', Uint8Array.from([0, 255, 255, 0]));
  assert.deepEqual(Array.from(readPnm(bytes, 'c.pgm').data), [0, 255, 255, 0]);
  const img = await decodeImageBuffer(bytes, 'c.pgm', { size: 2, channels: 1 });
  assert.deepEqual(Array.from(img.data), [0, 255, 255, 0]);
});

hostile('images', 'a comment glued to the maximum value of a binary PGM is refused as ambiguous', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n2 1\n255#x\n', Uint8Array.from([1, 2])), 'amb.pgm'), 'amb.pgm',
    /amb\.pgm: bad Netpbm header, line 3: the pixel data must follow the header after one whitespace byte, found "#x" \(a comment after the last header value is ambiguous in binary Netpbm; put it before\)$/);
});

hostile('images', 'a comment inside ASCII pixel data is skipped', async () => {
  assert.deepEqual(Array.from(readPnm(pgm('P2\n2 1\n255\n10 # between values\n20\n'), 'a.pgm').data), [10, 20]);
});

hostile('images', 'an ASCII value above the maximum value', async () => {
  await refuses(decodeImageBuffer(pgm('P2\n2 1\n10\n5 11\n'), 'over.pgm'), 'over.pgm', /over\.pgm: bad Netpbm data: pixel value 11 \(value 2 of 2\) is above the maximum value 10$/);
});

hostile('images', 'a binary value above the maximum value', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n2 1\n100\n', Uint8Array.from([50, 200])), 'over.pgm'), 'over.pgm', /over\.pgm: bad Netpbm data: pixel value 200 \(value 2 of 2\) is above the maximum value 100$/);
});

hostile('images', 'a 16-bit value above the maximum value', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n1 1\n1000\n', Uint8Array.from([0xff, 0xff])), 'over16.pgm'), 'over16.pgm', /over16\.pgm: bad Netpbm data: pixel value 65535 \(value 1 of 1\) is above the maximum value 1000$/);
});

hostile('images', 'a Netpbm header that ends before the height', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n64'), 'cut.pgm'), 'cut.pgm', /cut\.pgm: truncated Netpbm header, line 2: the file ends before the height$/);
});

hostile('images', 'a PBM with a 2 in its pixels', async () => {
  await refuses(decodeImageBuffer(pgm('P1\n3 1\n1 2 1\n'), 'bad.pbm'), 'bad.pbm', /bad\.pbm: bad PBM data, line 3: expected 0 or 1, found "2"$/);
});

hostile('images', 'a binary PBM shorter than its header says', async () => {
  await refuses(decodeImageBuffer(pgm('P4\n16 4\n', Buffer.alloc(5)), 'short.pbm'), 'short.pbm', /short\.pbm: truncated Netpbm data, need 8 bytes, have 5 \(the header says 16x4\)$/);
});

hostile('images', 'a PGM over a dataset\'s lower pixel limit', async () => {
  await refuses(decodeImageBuffer(pgm('P5\n200 200\n255\n', Buffer.alloc(40000)), 'big.pgm', {}, 10000), 'big.pgm',
    /big\.pgm: Netpbm image is 200x200 = 40,000 pixels, more than the limit of 10,000 \(a decompression bomb\?\)$/);
});

hostile('images', 'a PAM (P7) file is not taken for a PGM', async () => {
  await refuses(decodeImageBuffer(pgm('P7\nWIDTH 4\nHEIGHT 4\n'), 'x.pam'), 'x.pam', /x\.pam: not an image: it starts with text "P7\\nWIDTH 4\\nHEIGH"$/);
});

hostile('images', '8- and 16-bit PGM/PPM photos are read for detection with the right pixels', async () => {
  const p5 = put('grey.pgm', pgm('P5\n40 40\n255\n', Buffer.alloc(1600, 77)));
  const p6 = put('rgb16.ppm', pgm('P6\n40 40\n65535\n', Buffer.concat(Array.from({ length: 1600 }, () => Buffer.from([0xc8, 0xc8, 0x1e, 0x1e, 0x00, 0x00])))));
  const p3 = put('ascii.ppm', `P3\n# ASCII\n40 40\n255\n${Array.from({ length: 1600 }, () => '10 20 30').join('\n')}\n`);
  const grey = await readPhoto(p5);
  assert.deepEqual([grey.image.width, grey.image.height, grey.image.channels], [40, 40, 3]);
  assert.deepEqual(Array.from(grey.image.data.subarray(0, 3)), [77, 77, 77]);
  assert.equal(grey.transparency, undefined);
  assert.deepEqual(Array.from((await readPhoto(p6)).image.data.subarray(0, 3)), [200, 30, 0]);
  assert.deepEqual(Array.from((await readPhoto(p3)).image.data.subarray(0, 3)), [10, 20, 30]);
});

// ---- other formats whose headers claim huge sizes: sharp's pixel limit applies on both paths ----


const BOMB = /image has more than 100,000,000 pixels \(a decompression bomb\?\); sharp refused it: Input image exceeds pixel limit$/;

hostile('images', 'a PNG header claiming 60000x60000 pixels, as a photo for detection', async () => {
  const f = put('bomb.png', bombPng(60000, 60000));
  await refuses(readPhoto(f), f, BOMB);
});

hostile('images', 'a JPEG whose frame header claims 65000x65000 pixels, on both decoders', async () => {
  const jpg = Buffer.from(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#f00' } }).jpeg().toBuffer());
  const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
  jpg.writeUInt16BE(65000, sof + 5);
  jpg.writeUInt16BE(65000, sof + 7);
  const f = put('huge.jpg', jpg);
  await refuses(decodeImage(f), f, BOMB);
  await refuses(readPhoto(f), f, BOMB);
});

hostile('images', 'a GIF whose frame claims 65535x65535 pixels', async () => {
  const gif = Buffer.from(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#f00' } }).gif().toBuffer());
  const desc = gif.indexOf(0x2c, 13); // the image descriptor
  gif.writeUInt16LE(65535, desc + 5);
  gif.writeUInt16LE(65535, desc + 7);
  const f = put('huge.gif', gif);
  await refuses(decodeImage(f), f, BOMB);
  await refuses(readPhoto(f), f, BOMB);
});

hostile('images', 'a GIF whose screen (not its frame) claims 65535x65535 decodes its 16x16 frame', async () => {
  const gif = Buffer.from(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#f00' } }).gif().toBuffer());
  gif.writeUInt16LE(65535, 6);
  gif.writeUInt16LE(65535, 8);
  const img = await decodeImageBuffer(gif, 'screen.gif', { size: 8 });
  assert.deepEqual(Array.from(img.data.subarray(0, 3)), [255, 0, 0]);
});

hostile('images', 'a WebP whose header claims 16384x16384 pixels', async () => {
  const webp = Buffer.from(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#f00' } }).webp({ lossless: true }).toBuffer());
  const bits = webp.readUInt32LE(21); // VP8L: 14 bits width-1, 14 bits height-1
  webp.writeUInt32LE(((bits & ~0xfffffff) | 16383 | (16383 << 14)) >>> 0, 21);
  const f = put('huge.webp', webp);
  await refuses(decodeImage(f), f, /huge\.webp: corrupt or unsupported image data \(Input buffer has corrupt header: webp: bad image dimensions\)$/);
  await refuses(readPhoto(f), f, /huge\.webp: corrupt or unsupported image data \(Input buffer has corrupt header: webp: bad image dimensions\)$/);
});

// ---- things that are not image files ----

hostile('images', 'a folder given as a photo', async () => {
  const f = path.join(dir, 'a-folder.jpg');
  fs.mkdirSync(f);
  await refuses(readPhoto(f), f, /a-folder\.jpg: is a folder, not an image file$/);
  await refuses(decodeImage(f), f, /a-folder\.jpg: is a folder, not an image file$/);
});

hostile('images', 'a symbolic link loop', async () => {
  const f = path.join(dir, 'loop.jpg');
  fs.symlinkSync(path.join(dir, 'loop2.jpg'), f);
  fs.symlinkSync(f, path.join(dir, 'loop2.jpg'));
  await refuses(readPhoto(f), f, /loop\.jpg: cannot read the file \(ELOOP\): too many levels of symbolic links \(a link loop\?\)$/);
});

hostile('images', 'a dangling symbolic link', async () => {
  const f = path.join(dir, 'dangling.jpg');
  fs.symlinkSync(path.join(dir, 'gone.jpg'), f);
  await refuses(decodeImage(f), f, /dangling\.jpg: cannot read the file \(ENOENT\): no such file$/);
});

hostile('images', 'a path through a file', async () => {
  const f = path.join(put('plain.txt', 'x'), 'photo.jpg');
  await refuses(readPhoto(f), f, /photo\.jpg: cannot read the file \(ENOTDIR\): a part of the path is not a folder$/);
});

hostile('images', 'a FIFO given as a photo is refused without blocking', async () => {
  const f = path.join(dir, 'pipe.jpg');
  execFileSync('mkfifo', [f]);
  await refuses(readPhoto(f), f, /pipe\.jpg: is not a regular file \(a FIFO, socket or device\); give an image file$/);
});

hostile('images', '/dev/zero given as a photo is refused without reading it', async () => {
  await refuses(readPhoto('/dev/zero'), '/dev/zero', /is not a regular file \(a FIFO, socket or device\); give an image file$/);
});

hostile('images', 'a zero-byte photo', async () => {
  const f = put('empty.png', '');
  await refuses(readPhoto(f), f, /empty\.png: file is empty \(0 bytes\)$/);
});

hostile('images', 'a PNG named .jpg decodes by its content', async () => {
  const f = put('really-png.jpg', await sharp({ create: { width: 40, height: 40, channels: 3, background: '#0a1432' } }).png().toBuffer());
  assert.deepEqual(Array.from((await readPhoto(f)).image.data.subarray(0, 3)), [10, 20, 50]);
  assert.deepEqual(Array.from((await decodeImage(f, { size: 4 })).data.subarray(0, 3)), [10, 20, 50]);
});

hostile('images', 'a JPEG named .pgm decodes by its content', async () => {
  const f = put('really-jpeg.pgm', await sharp({ create: { width: 40, height: 40, channels: 3, background: '#808080' } }).jpeg().toBuffer());
  const px = Array.from((await readPhoto(f)).image.data.subarray(0, 3));
  assert.ok(px.every((v) => Math.abs(v - 128) <= 2), String(px));
});

hostile('images', 'a text file that starts like a PGM', async () => {
  const f = put('notes.pgm', 'P5 is the fifth paragraph\n');
  await refuses(readPhoto(f), f, /notes\.pgm: bad Netpbm header, line 1: expected the width \(a whole number\), found "is"$/);
});

hostile('images', 'a HEIC photo given for detection', async () => {
  const f = put('IMG_0001.HEIC', Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1')]));
  await refuses(readPhoto(f), f, /HEIC\/HEIF photos are not supported by the bundled decoder; convert it first/);
});

hostile('images', 'a truncated PNG photo', async () => {
  const good = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#123456' } }).png({ compressionLevel: 0 }).toBuffer();
  const f = put('cut.png', good.subarray(0, good.length >> 1));
  await assert.rejects(readPhoto(f), (e: unknown) => e instanceof ImageDecodeError && e.file === f && /^cannot decode .*cut\.png: (file is truncated or incomplete|corrupt or unsupported image data) \(/.test(e.message));
});

// ---- odd shapes and encodings: the correct result, the same on both decoders ----

hostile('images', 'an animated GIF: the first frame, for detection too', async () => {
  const red = await sharp({ create: { width: 40, height: 40, channels: 4, background: '#ff0000' } }).png().toBuffer();
  const blue = await sharp({ create: { width: 40, height: 40, channels: 4, background: '#0000ff' } }).png().toBuffer();
  const f = put('anim.gif', await sharp([red, blue], { join: { animated: true } } as never).gif().toBuffer());
  const p = await readPhoto(f);
  assert.deepEqual([p.image.width, p.image.height], [40, 40]);
  assert.ok(Math.abs(p.image.data[0] - 255) <= 3 && p.image.data[2] <= 3, String(p.image.data.subarray(0, 3)));
});

hostile('images', 'a 16-bit PNG photo comes out 8-bit with the right colour', async () => {
  const f = put('deep.png', await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 200, g: 30, b: 30 } } }).toColourspace('rgb16').png().toBuffer());
  assert.deepEqual(Array.from((await readPhoto(f)).image.data.subarray(0, 3)), [200, 30, 30]);
});

hostile('images', 'a CMYK JPEG photo comes out sRGB', async () => {
  const f = put('cmyk.jpg', await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 200, g: 30, b: 30 } } }).toColourspace('cmyk').jpeg().toBuffer());
  const [r, g, b] = (await readPhoto(f)).image.data;
  assert.ok(r > 150 && g < 80 && b < 80, `CMYK red stays red: ${[r, g, b]}`);
});

hostile('images', 'EXIF orientations 1-8: both decoders turn the photo upright the same way', async () => {
  // 32x32 in four quadrants: red, green / blue, white
  const raw = Buffer.alloc(32 * 32 * 3);
  const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) raw.set(colours[(y < 16 ? 0 : 2) + (x < 16 ? 0 : 1)], (y * 32 + x) * 3);
  const quadrants = (d: Uint8Array): string => [[8, 8], [24, 8], [8, 24], [24, 24]].map(([x, y]) => colours.findIndex((c) => c.every((v, k) => Math.abs(d[(y * 32 + x) * 3 + k] - v) < 8))).join('');
  // where the top-left (red = 0) quadrant ends up, upright, for orientations 1..8 (EXIF spec)
  const want = ['0123', '1032', '3210', '2301', '0213', '2031', '3120', '1302'];
  for (let o = 1; o <= 8; o++) {
    const f = put(`o${o}.png`, await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } }).withMetadata({ orientation: o }).png().toBuffer());
    const photo = await readPhoto(f);
    const decoded = await decodeImage(f, { size: 32 });
    assert.equal(quadrants(photo.image.data), want[o - 1], `orientation ${o}, readPhoto`);
    assert.deepEqual(photo.image.data, decoded.data, `orientation ${o}: both decoders agree`);
  }
});

hostile('images', 'a 1x1 image: decoded for training, refused as a photo naming the file', async () => {
  const f = put('dot.png', await sharp({ create: { width: 1, height: 1, channels: 3, background: '#336699' } }).png().toBuffer());
  const img = await decodeImage(f, { size: 8 });
  assert.deepEqual(Array.from(img.data.subarray(0, 3)), [0x33, 0x66, 0x99]);
  await assert.rejects(prepareFace(f, { size: 150, aligned: true }), new RegExp(`^RangeError: ${esc(f)}: image is 1x1 pixels, too small to hold a recognisable face \\(at least 32 px a side\\)$`));
});

hostile('images', 'a 10000x3 strip: decoded for training, refused as a photo with its real size', async () => {
  const f = put('strip.png', await sharp({ create: { width: 10000, height: 3, channels: 3, background: '#804020' } }).png().toBuffer());
  const img = await decodeImage(f, { size: 16 });
  assert.deepEqual(Array.from(img.data.subarray(0, 3)), [0x80, 0x40, 0x20]);
  await assert.rejects(prepareFace(f, { size: 150 }), new RegExp(`^RangeError: ${esc(f)}: image is 10000x3 pixels \\(800x1 scaled to at most 800 a side\\), too small to hold a recognisable face`));
});

hostile('images', 'a 3x10000 strip: decoded for training with the centre crop', async () => {
  const f = put('tall.png', await sharp({ create: { width: 3, height: 10000, channels: 3, background: '#204080' } }).png().toBuffer());
  const img = await decodeImage(f, { size: 16, crop: { kind: 'center', fraction: 0.6 } });
  assert.deepEqual(Array.from(img.data.subarray(0, 3)), [0x20, 0x40, 0x80]);
});

// ---- transparency: measured where the model sees it, flattened by the one rule ----

/** A 40x40 PNG of one colour with alpha from `alpha(x, y)`; `grey` writes grey+alpha (2 channels). */
async function alphaPng(name: string, alpha: (x: number, y: number) => number, grey = false): Promise<string> {
  const raw = Buffer.alloc(40 * 40 * 4);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) raw.set([100, 100, 100, alpha(x, y)], (y * 40 + x) * 4);
  let img = sharp(raw, { raw: { width: 40, height: 40, channels: 4 } });
  if (grey) img = img.toColourspace('b-w');
  return put(name, await img.png().toBuffer());
}

hostile('images', 'a grey+alpha PNG: transparency measured, flattened onto white', async () => {
  const f = await alphaPng('ga.png', (x) => (x < 20 ? 0 : 255), true);
  assert.equal((await sharp(f).metadata()).channels, 2);
  const p = await readPhoto(f);
  assert.deepEqual(p.transparency, { fraction: 0.5, meanOpacity: 0.5 });
  assert.deepEqual(Array.from(p.image.data.subarray(0, 3)), [255, 255, 255]);
  assert.deepEqual(Array.from(p.image.data.subarray(3 * 39, 3 * 40)), [100, 100, 100]);
});

hostile('images', 'an alpha channel that is fully opaque gives no warning', async () => {
  const f = await alphaPng('opaque.png', () => 255);
  const p = await prepareFace(f, { size: 40, aligned: true });
  assert.deepEqual(p.warnings, []);
});

hostile('images', 'a few transparent edge pixels (below 1 %) give no warning, more do', async () => {
  const edge = await prepareFace(await alphaPng('edge.png', (x, y) => (x === 0 && y < 10 ? 0 : 255)), { size: 40, aligned: true });
  assert.deepEqual(edge.warnings, []);
  const f = await alphaPng('corner.png', (x, y) => (x < 8 && y < 8 ? 0 : 255));
  const corner = await prepareFace(f, { size: 40, aligned: true });
  assert.deepEqual(corner.warnings, [`${f}: 4 % of the pixels are transparent (mean opacity 96 %); flattened onto white before the crop — the verdict may be unreliable`]);
});

hostile('images', 'a 16-bit PNG with alpha: transparency measured in 8-bit terms', async () => {
  const raw = Buffer.alloc(40 * 40 * 4);
  for (let i = 0; i < 1600; i++) raw.set([200, 30, 30, i < 800 ? 128 : 255], 4 * i);
  const f = put('deep-alpha.png', await sharp(raw, { raw: { width: 40, height: 40, channels: 4 } }).toColourspace('rgb16').png().toBuffer());
  const p = await readPhoto(f);
  assert.equal(p.transparency!.fraction, 0.5);
  assert.ok(Math.abs(p.transparency!.meanOpacity - (128 + 255) / 510) < 0.01, String(p.transparency!.meanOpacity));
  assert.deepEqual(Array.from(p.image.data.subarray(0, 3)), [227, 142, 142]);
});

hostile('images', 'a transparent photo through detection names the file and the step', async () => {
  await tf.setBackend('cpu');
  const f = await alphaPng('clear.png', () => 0);
  const p = await prepareFace(f, { size: 150 });
  assert.equal(p.status, 'no-face');
  assert.deepEqual(p.warnings, [`${f}: 100 % of the pixels are transparent (mean opacity 0 %); flattened onto white before detection — the verdict may be unreliable`]);
});

hostile('images', 'PGM photos through detection and cropping leak no tensors', async () => {
  await tf.setBackend('cpu');
  const f = put('leak.pgm', pgm('P5\n64 64\n255\n', Buffer.alloc(64 * 64, 120)));
  await prepareFace(f, { size: 150 });
  await prepareFace(f, { size: 150, aligned: true });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    await prepareFace(f, { size: 150 });
    await prepareFace(f, { size: 150, aligned: true });
  }
  assert.equal(tf.memory().numTensors, before);
});
