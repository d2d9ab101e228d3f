import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEFAULT_SYNTH, generateSynthetic } from '../../../lib/data';
import { measureSynthDifficulty } from '../../../lib/eval';
import { tempDir } from '../fixtures';

// Slow tier (npm test runs it; test:unit skips it): about a minute on two busy cores.
test('default set: a linear identity projection (PCA + LDA) fitted on other people separates held-out people', async () => {
  const { dir, cleanup } = tempDir('siamese-synth-');
  try {
    await generateSynthetic(dir, DEFAULT_SYNTH);
    const d = await measureSynthDifficulty(dir, { size: 32, crop: 0.6 });
    assert.ok(d.pixelLda && d.histogramLda);
    // Measured (seed 1, crop 0.6, 32x32 RGB): 74.4 % (pixels) and 58.4 % (colour histograms) against raw pixels' 57.0 %.
    assert.ok(d.pixelLda.testAccuracy >= 0.68, `PCA+LDA on pixels reaches only ${d.pixelLda.testAccuracy}: identity signal too weak`);
    assert.ok(d.pixelLda.testAccuracy > d.rawPixel.testAccuracy + 0.08, 'a learned projection should clearly beat raw pixels');
    assert.ok(d.histogramLda.testAccuracy > 0.55, `colour histograms carry almost no identity (${d.histogramLda.testAccuracy})`);
  } finally {
    cleanup();
  }
});
