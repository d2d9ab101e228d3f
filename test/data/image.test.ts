import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImageBuffer, readPnm, writePnm, sniffFormat, resolveLoadOptions, imagesToTensor } from '../../lib/data';
import * as tf from '@tensorflow/tfjs';
import { solidImage } from './fixtures';

const px = (d: Uint8Array, i: number, c: number): number[] => Array.from(d.subarray(i * c, i * c + c));
const near = (a: number[], b: number[], tol: number): boolean => a.every((v, i) => Math.abs(v - b[i]) <= tol);

test('JPEG, PNG, WebP, TIFF and GIF decode to the requested size and channels', async () => {
  for (const format of ['jpeg', 'png', 'webp', 'tiff', 'gif'] as const) {
    const img = await decodeImageBuffer(await solidImage(30, 20, [200, 40, 60], format), `x.${format}`, { size: 8, channels: 3 });
    assert.equal(img.width, 8);
    assert.equal(img.height, 8);
    assert.equal(img.data.length, 8 * 8 * 3);
    assert.ok(near(px(img.data, 10, 3), [200, 40, 60], format === 'gif' || format === 'jpeg' ? 12 : 2), `${format}: ${px(img.data, 10, 3)}`);
  }
});

test('grey input expands to RGB, RGB reduces to grey, and alpha is flattened onto white', async () => {
  const grey = await sharp(Buffer.alloc(100, 80), { raw: { width: 10, height: 10, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  assert.equal((await sharp(grey).metadata()).channels, 1);
  const g3 = await decodeImageBuffer(grey, 'g.png', { size: 4, channels: 3 });
  assert.deepEqual(px(g3.data, 5, 3), [80, 80, 80]);
  const rgb1 = await decodeImageBuffer(await solidImage(10, 10, [255, 255, 255], 'png'), 'w.png', { size: 4, channels: 1 });
  assert.equal(rgb1.channels, 1);
  assert.equal(rgb1.data.length, 16);
  assert.equal(rgb1.data[0], 255);
  const clear = await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
  const flat = await decodeImageBuffer(clear, 'a.png', { size: 4, channels: 3 });
  assert.deepEqual(px(flat.data, 0, 3), [255, 255, 255]);
});

test('GIF: only the first frame is used', async () => {
  const red = await sharp({ create: { width: 16, height: 16, channels: 4, background: '#ff0000' } }).png().toBuffer();
  const blue = await sharp({ create: { width: 16, height: 16, channels: 4, background: '#0000ff' } }).png().toBuffer();
  const gif = await sharp([red, blue], { join: { animated: true } } as never).gif().toBuffer();
  assert.equal((await sharp(gif).metadata()).pages, 2);
  const img = await decodeImageBuffer(gif, 'anim.gif', { size: 4 });
  assert.ok(near(px(img.data, 0, 3), [255, 0, 0], 3), String(px(img.data, 0, 3)));
});

test('EXIF orientation is applied before cropping and resizing', async () => {
  // 40x20, left half red, right half blue, tagged "rotate 90 clockwise": upright it is 20x40, red on top.
  const jpg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#ff0000' } })
    .composite([{ input: { create: { width: 20, height: 20, channels: 3, background: '#0000ff' } }, left: 20, top: 0 }])
    .jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const img = await decodeImageBuffer(jpg, 'o.jpg', { size: 20 });
  assert.ok(near(px(img.data, 0, 3), [255, 0, 0], 8), `top ${px(img.data, 0, 3)}`);
  assert.ok(near(px(img.data, 20 * 19, 3), [0, 0, 255], 8), `bottom ${px(img.data, 20 * 19, 3)}`);
});

test('the crop keeps only the centre', async () => {
  // 100x100 black with a 60x60 white centre: the 0.6 centre crop is all white.
  const png = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#000000' } })
    .composite([{ input: { create: { width: 60, height: 60, channels: 3, background: '#ffffff' } }, left: 20, top: 20 }]).png().toBuffer();
  const cropped = await decodeImageBuffer(png, 'c.png', { size: 10, channels: 1, crop: { kind: 'center', fraction: 0.6 } });
  assert.ok(cropped.data.every((v) => v === 255), 'centre crop is all white');
  const whole = await decodeImageBuffer(png, 'c.png', { size: 10, channels: 1 });
  assert.equal(whole.data[0], 0);
});

test('PGM/PPM (binary, ASCII with comments, 16-bit) are read by the project', async () => {
  const ppm = writePnm({ width: 2, height: 1, channels: 3, data: Uint8Array.from([255, 0, 0, 0, 0, 255]) });
  assert.equal(sniffFormat(ppm), 'pnm');
  const left = await decodeImageBuffer(ppm, 'x.ppm', { size: 2, crop: { kind: 'box', left: 0, top: 0, width: 0.5, height: 1 } });
  assert.ok(near(px(left.data, 0, 3), [255, 0, 0], 1));
  const ascii = readPnm(Buffer.from('P2\n# a comment\n3 1\n# another\n10\n0 5 10\n'), 'a.pgm');
  assert.deepEqual(Array.from(ascii.data), [0, 128, 255]);
  const p16 = Buffer.concat([Buffer.from('P5\n2 1\n65535\n'), Buffer.from([0xff, 0xff, 0x80, 0x00])]);
  assert.deepEqual(Array.from(readPnm(p16).data), [255, 128]);
  const pbm = readPnm(Buffer.from('P1\n3 1\n1 0 1\n'));
  assert.deepEqual(Array.from(pbm.data), [0, 255, 0]);
  const grey = await decodeImageBuffer(p16, 'x.pgm', { size: 2, channels: 3 });
  assert.deepEqual(px(grey.data, 0, 3), [255, 255, 255]);
  assert.throws(() => readPnm(Buffer.from('P5\n4 4\n255\nab'), 't.pgm'), /t\.pgm: truncated Netpbm data, need 16 bytes, have 2/);
});

test('load options are checked', () => {
  assert.throws(() => resolveLoadOptions({ size: 0 }), /load size .* got 0/);
  assert.throws(() => resolveLoadOptions({ channels: 2 as never }), /channels must be 1 or 3, got 2/);
});

test('imagesToTensor stacks images in [0, 1] and leaks nothing', async () => {
  const img = await decodeImageBuffer(await solidImage(4, 4, [255, 0, 51], 'png'), 'p.png', { size: 2 });
  const before = tf.memory().numTensors;
  const t = imagesToTensor([img, img]);
  assert.deepEqual(t.shape, [2, 2, 2, 3]);
  assert.deepEqual(Array.from(t.dataSync().slice(0, 3)).map((v) => Math.round(v * 100) / 100), [1, 0, 0.2]);
  t.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => imagesToTensor([]), /at least one image/);
});
