import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cropKey, cropRegion, resolveCrop, DEFAULT_LFW_CROP, NO_CROP } from '../../lib/data';

test('centre crop of LFW 250x250 keeps the central 150x150', () => {
  assert.deepEqual(cropRegion(DEFAULT_LFW_CROP, 250, 250), { left: 50, top: 50, width: 150, height: 150 });
});

test('centre crop of a landscape image is a square on the shorter side', () => {
  assert.deepEqual(cropRegion({ kind: 'center', fraction: 0.5 }, 200, 100), { left: 75, top: 25, width: 50, height: 50 });
});

test('box crop uses fractions and never leaves the image', () => {
  assert.deepEqual(cropRegion({ kind: 'box', left: 0.5, top: 0.25, width: 0.5, height: 0.5 }, 100, 80), { left: 50, top: 20, width: 50, height: 40 });
  assert.deepEqual(cropRegion(NO_CROP, 7, 3), { left: 0, top: 0, width: 7, height: 3 });
});

test('resolveCrop names the bad value and round-trips through JSON', () => {
  assert.throws(() => resolveCrop({ kind: 'center', fraction: 1.5 }), /fraction must be a number in \(0, 1\], got 1\.5/);
  assert.throws(() => resolveCrop({ kind: 'box', left: 0.6, top: 0, width: 0.6, height: 1 }), /reaches outside the image/);
  assert.throws(() => resolveCrop({ kind: 'oval' } as never), /crop kind must be .* got "oval"/);
  const c = resolveCrop({ kind: 'box', left: 0.1, top: 0.2, width: 0.3, height: 0.4 });
  assert.deepEqual(resolveCrop(JSON.parse(JSON.stringify(c))), c);
  assert.notEqual(cropKey(c), cropKey(DEFAULT_LFW_CROP));
  assert.equal(resolveCrop(undefined).kind, 'none');
});
