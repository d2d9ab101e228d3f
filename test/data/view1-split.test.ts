import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { checkLeakage, Dataset, makeView1Split, readOfficialPairs } from '../../lib/data';
import { Rng } from '../../lib/util';
import { tinyFaces } from '../train/fixtures';

test('View 1 as a split: dev-train pairs train and validate on disjoint people, dev-test pairs test', { timeout: 120_000 }, async () => {
  const root = await tinyFaces();
  const dataset = await Dataset.open(root);
  const split = await makeView1Split(dataset, new Rng(1).fork('split'), 0.25);
  const devTrain = (await readOfficialPairs(path.join(root, 'pairsDevTrain.txt'))).pairs;
  const devTest = (await readOfficialPairs(path.join(root, 'pairsDevTest.txt'))).pairs;
  assert.deepEqual(split.pairs.test, devTest);
  assert.ok(split.pairs.train.length + split.pairs.val.length <= devTrain.length);
  assert.ok(split.pairs.train.length > 0 && split.pairs.val.length > 0);
  const report = checkLeakage(split);
  assert.deepEqual([report.sharedPeople.length, report.sharedImages.length, report.foreignPairs.length], [0, 0, 0]);
  assert.equal(split.config.preset, 'view1');
  const again = await makeView1Split(dataset, new Rng(1).fork('split'), 0.25);
  assert.deepEqual(again.people, split.people, 'same seed, same validation people');
  await assert.rejects(makeView1Split(dataset, new Rng(1), 1.5), /valFraction must be in \(0, 1\), got 1.5/);
});
