import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import sharp from 'sharp';
import { markedPhoto, marksSvg, MARK_COLOURS } from '../../lib/viz';

const grey = (w: number, h: number) => ({ data: new Uint8Array(w * h * 3).fill(128), width: w, height: h, channels: 3 as const });

async function pixel(png: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return Array.from(data.subarray(i, i + 3));
}

test('markedPhoto scales the photo to the asked width and draws each box where it is, in green or (rejected) red', async () => {
  const png = await markedPhoto(grey(200, 100), [
    { box: { left: 20, top: 40, width: 40, height: 40 }, label: '1' },
    { box: { left: 120, top: 40, width: 40, height: 40 }, ok: false },
  ], { width: 400 });
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.width, meta.height, meta.format], [400, 200, 'png']);
  // the first box's left edge at x = 40 in the doubled image, half-way down the box; its inside is the photo
  const green = await pixel(png, 40, 120);
  assert.ok(green[1] > 150 && green[0] < 80, `green edge: ${green}`);
  assert.deepEqual(await pixel(png, 80, 120), [128, 128, 128]);
  const red = await pixel(png, 240, 125);
  assert.ok(red[0] > 150 && red[1] < 80, `red edge: ${red}`);
});

test('marksSvg draws a dot per point, escapes labels, and the default colours follow ok', () => {
  const svg = marksSvg([{ box: { left: 0, top: 10, width: 10, height: 10 }, points: [{ x: 1, y: 2 }, { x: 3, y: 4 }], label: '<a>' }], 100, 50, 2);
  assert.equal(svg.match(/<circle/g)!.length, 2);
  assert.match(svg, /cx="2\.0" cy="4\.0"/);
  assert.match(svg, /&lt;a&gt;/);
  assert.match(svg, new RegExp(`stroke="${MARK_COLOURS.ok}"`));
  assert.match(marksSvg([{ box: { left: 0, top: 0, width: 1, height: 1 }, ok: false }], 10, 10), new RegExp(`stroke="${MARK_COLOURS.rejected}".*stroke-dasharray`));
});

test('markedPhoto names a pixel count that does not fill the image, and a bad width', async () => {
  await assert.rejects(markedPhoto({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }, []), /5 values do not fill 2x2x3/);
  await assert.rejects(markedPhoto(grey(20, 20), [], { width: 4 }), /width must be an integer in \[16, 8192\], got 4/);
});
