import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import type { DecodedImage } from '../../lib/data';
import { Rng } from '../../lib/util/rng';
import { augmentPreview, augmentPreviewRows } from '../../lib/viz';

/** A 12x12 RGB image with a bright square in the top-left quarter. */
function image(): DecodedImage {
  const data = new Uint8Array(12 * 12 * 3).fill(40);
  for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) data.fill(230, (y * 12 + x) * 3, (y * 12 + x) * 3 + 3);
  return { data, width: 12, height: 12, channels: 3 };
}

describe('augmentPreview', () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it('has one row per transform and one for the full policy, each the original beside n labelled copies', async () => {
    const rows = await augmentPreviewRows(image(), 'siamese-cnn', new Rng(1), { n: 3 });
    assert.deepEqual(rows.map((r) => r.title), ['rotate', 'flip', 'translate', 'scale', 'policy siamese-cnn']);
    for (const r of rows) {
      assert.equal(r.cells.length, 4);
      assert.equal(r.cells[0].label, 'original');
    }
    assert.deepEqual(rows[1].cells.slice(1).map((c) => c.label), ['flip', 'flip', 'flip']);
    // The flip row really is mirrored: the bright square moved to the top-right.
    const flipped = rows[1].cells[1].image as { pixels: ArrayLike<number> };
    assert.ok(flipped.pixels[(2 * 12 + 10) * 3] > 0.8 && flipped.pixels[(2 * 12 + 1) * 3] < 0.2);
  });

  it('is a PNG, identical for the same seed, different for another, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const a = await augmentPreview(image(), 'default', new Rng(7), { n: 2, cellSize: 32 });
    const b = await augmentPreview(image(), 'default', new Rng(7), { n: 2, cellSize: 32 });
    const c = await augmentPreview(image(), 'default', new Rng(8), { n: 2, cellSize: 32 });
    assert.equal(tf.memory().numTensors, before);
    assert.ok(a.equals(b), 'same seed, same bytes');
    assert.ok(!a.equals(c), 'another seed, another picture');
    const meta = await sharp(a).metadata();
    assert.equal(meta.format, 'png');
    assert.ok((meta.height ?? 0) > 9 * 32, 'nine rows (8 transforms and the policy)');
    await assert.rejects(augmentPreview(image(), 'none', new Rng(1), { full: false }), /nothing to show/);
  });
});
