/**
 * Checks on a real LFW copy, behind LFW_DIR (skipped with a message when unset): the published counts,
 * every pair of the three official files resolves, and the decode cache's speed-up on 500 images.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../lib/util';
import { Dataset, DecodeCache, OFFICIAL_PAIR_FILES, datasetSummary, loadOfficialPairs, validatePairs } from '../../lib/data';
import { tempDir } from './fixtures';

const LFW_DIR = process.env.LFW_DIR;
const skip = LFW_DIR ? false : 'LFW_DIR is not set: point it at a real LFW folder (<LFW_DIR>/<Name>/<Name>_0001.jpg) to run these checks';

test('real LFW: 13,233 images of 5,749 people, 1,680 with two or more', { skip }, async () => {
  const ds = await Dataset.open(LFW_DIR!, { cache: null });
  const s = datasetSummary(ds);
  assert.equal(ds.layout, 'lfw');
  assert.deepEqual(ds.problems, []);
  assert.deepEqual([s.images, s.people, s.peopleWith2Plus, s.imagesOfPeopleWith2Plus, s.peopleWith10Plus, s.maxPerson, s.maxImages],
    [13233, 5749, 1680, 9164, 158, 'George_W_Bush', 530]);
});

test('real LFW: every pair in pairsDevTrain, pairsDevTest and pairs.txt resolves', { skip }, async () => {
  const ds = await Dataset.open(LFW_DIR!, { cache: null });
  for (const which of OFFICIAL_PAIR_FILES) validatePairs(await loadOfficialPairs(which), ds);
});

test('real LFW: the decode cache makes a second load of 500 images much faster', { skip }, async (t) => {
  const { dir, cleanup } = tempDir('siamese-cache-');
  try {
    const cache = new DecodeCache(dir);
    const ds = await Dataset.open(LFW_DIR!, { cache });
    const refs = new Rng('cache-bench').sample(ds.refs(), 500);
    const opts = { size: 112 };
    let t0 = performance.now();
    const first = await ds.loadMany(refs, opts);
    const cold = performance.now() - t0;
    t0 = performance.now();
    const second = await ds.loadMany(refs, opts);
    const warm = performance.now() - t0;
    assert.equal(cache.stats.misses, 500);
    assert.equal(cache.stats.hits, 500);
    assert.deepEqual(Buffer.from(second[123].data), Buffer.from(first[123].data));
    const speedup = cold / warm;
    t.diagnostic(`500 LFW images at 112x112 RGB, centre crop: first load ${cold.toFixed(0)} ms (decode + write), second ${warm.toFixed(0)} ms (cache), ${speedup.toFixed(1)}x`);
    console.log(`decode cache: first ${cold.toFixed(0)} ms, second ${warm.toFixed(0)} ms, speed-up ${speedup.toFixed(1)}x`);
    assert.ok(speedup > 3, `expected the cache to be at least 3x faster, got ${speedup.toFixed(1)}x`);
  } finally {
    cleanup();
  }
});
