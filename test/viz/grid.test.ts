import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import sharp from 'sharp';
import { imageGrid, pairGrid, PAIR_COLOURS } from '../../lib/viz';

const solid = (rgb: [number, number, number], w = 4, h = 4) => ({ data: Uint8Array.from({ length: w * h * 3 }, (_, i) => rgb[i % 3]), width: w, height: h, channels: 3 as const });

async function pixel(png: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return Array.from(data.subarray(i, i + 3));
}

test('imageGrid lays out rows of cells at the computed size, images where expected', async () => {
  const png = await imageGrid([
    { cells: [{ image: solid([255, 0, 0]) }, { image: solid([0, 0, 255]) }] },
    { cells: [{ image: solid([0, 255, 0]) }] },
  ], { cellSize: 20, gap: 2 });
  const meta = await sharp(png).metadata();
  // No titles or labels: width = gap + 2 * (20 + gap), height = gap + 2 * (20 + gap).
  assert.deepEqual([meta.width, meta.height, meta.format], [46, 46, 'png']);
  assert.deepEqual(await pixel(png, 2 + 10, 2 + 10), [255, 0, 0]);
  assert.deepEqual(await pixel(png, 2 + 22 + 10, 2 + 10), [0, 0, 255]);
  assert.deepEqual(await pixel(png, 2 + 10, 2 + 22 + 10), [0, 255, 0]);
  assert.deepEqual(await pixel(png, 2 + 22 + 10, 2 + 22 + 10), [255, 255, 255]); // short row: background
});

test('labels, row titles and a figure title add space; encoded images and float pixels work', async () => {
  const encoded = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } }).jpeg().toBuffer();
  const png = await imageGrid([{ title: 'row one', cells: [{ image: encoded, label: 'jpeg' }, { image: { pixels: new Float32Array(16 * 3).fill(1), width: 4, height: 4, channels: 3 }, float: true, label: 'float' }] }],
    { cellSize: 32, gap: 4, fontSize: 10, title: 'A grid' });
  const meta = await sharp(png).metadata();
  assert.ok(meta.width! > 4 + 2 * 36, `title column adds width: ${meta.width}`);
  assert.ok(meta.height! > 4 + 36 + 10, `label and title rows add height: ${meta.height}`);
});

test('pairGrid frames same pairs green and different pairs orange', async () => {
  const png = await pairGrid([
    { a: solid([255, 255, 255]), b: solid([255, 255, 255]), isSame: 1 },
    { a: solid([255, 255, 255]), b: solid([255, 255, 255]), isSame: 0 },
  ], { cellSize: 20, gap: 2, titleWidth: 40 });
  const hex = (v: number[]) => `#${v.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  // The frame is drawn 3 px wide inside the cell; sample its left edge, mid-height.
  assert.equal(hex(await pixel(png, 40 + 2 + 1, 2 + 10)), PAIR_COLOURS.same);
  assert.equal(hex(await pixel(png, 40 + 2 + 1, 2 + 22 + 10)), PAIR_COLOURS.different);
});

test('bad grid input is refused clearly', async () => {
  await assert.rejects(imageGrid([]), /at least one image/);
  await assert.rejects(imageGrid([{ cells: [{ image: { data: new Uint8Array(5), width: 2, height: 2, channels: 3 } }] }]), /5 values do not fill 2x2x3/);
  await assert.rejects(pairGrid([], { perRow: 0 }), /perRow must be a positive integer, got 0/);
});

test('imageGrid cellHeight makes landscape cells: the image is fitted inside, the rest is background', async () => {
  const png = await imageGrid([{ cells: [{ image: solid([255, 0, 0], 40, 20) }, { image: solid([0, 0, 255], 40, 20) }] }], { cellSize: 40, cellHeight: 20, gap: 2 });
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.width, meta.height], [2 + 2 * 42, 2 + 22]);
  assert.deepEqual(await pixel(png, 2 + 20, 2 + 10), [255, 0, 0]);
  assert.deepEqual(await pixel(png, 2 + 42 + 20, 2 + 10), [0, 0, 255]);
  await assert.rejects(imageGrid([{ cells: [{ image: solid([0, 0, 0]) }] }], { cellHeight: 4 }), /cellHeight must be an integer in \[8, 1024\], got 4/);
});

test('imageGrid palette: a palette PNG, smaller for a noisy photo-like image, the same layout', async () => {
  let seed = 1;
  const noise = { data: Uint8Array.from({ length: 64 * 64 * 3 }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 16) & 255), width: 64, height: 64, channels: 3 as const };
  const plain = await imageGrid([{ cells: [{ image: noise }] }], { cellSize: 64 });
  const small = await imageGrid([{ cells: [{ image: noise }] }], { cellSize: 64, palette: true });
  const [a, b] = [await sharp(plain).metadata(), await sharp(small).metadata()];
  assert.deepEqual([b.width, b.height, b.format], [a.width, a.height, 'png']);
  assert.equal(b.paletteBitDepth !== undefined || b.isPalette === true, true, 'palette-encoded');
  assert.ok(small.length < plain.length, `${small.length} < ${plain.length}`);
});
