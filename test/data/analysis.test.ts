import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../lib/util';
import {
  channelMeans, Dataset, datasetSummary, describeRows, frameRows, imageStats, imageStatsFrame, imagesPerPersonDistribution, pairListSummary,
  pairSummaryFrame, parseOfficialPairs, peopleFrame, topPeople,
} from '../../lib/data';
import { colourFor, makeLfwFolder, tempDir } from './fixtures';

test('channelMeans: per channel over interleaved pixels, a grey image three times, bad lengths refused', () => {
  assert.deepEqual(channelMeans(Uint8Array.from([10, 20, 30, 12, 22, 33]), 3), [11, 21, 31.5]);
  assert.deepEqual(channelMeans(Uint8Array.from([1, 2, 3, 4, 9, 9, 9, 9]), 4), [5, 5.5, 6], 'a fourth channel is ignored');
  assert.deepEqual(channelMeans(Uint8Array.from([0, 255]), 1), [127.5, 127.5, 127.5]);
  assert.throws(() => channelMeans(Uint8Array.from([1, 2, 3, 4]), 3), /4 bytes are not whole pixels of 3 channel/);
  assert.throws(() => channelMeans(new Uint8Array(0), 3), /not whole pixels/);
});

test('summaries, distributions, top people and per-image stats', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const people = await makeLfwFolder(dir, [3, 1, 1, 12], 10);
    fs.writeFileSync(path.join(dir, people[1], `${people[1]}_0002.jpg`), 'broken');
    const ds = await Dataset.open(dir, { cache: null });
    const s = datasetSummary(ds);
    assert.deepEqual([s.people, s.images, s.peopleWith2Plus, s.imagesOfPeopleWith2Plus, s.peopleWith10Plus, s.maxImages, s.maxPerson],
      [4, 18, 3, 17, 1, 12, people[3]]);
    assert.deepEqual(imagesPerPersonDistribution(ds), [{ imagesPerPerson: 1, people: 1 }, { imagesPerPerson: 2, people: 1 }, { imagesPerPerson: 3, people: 1 }, { imagesPerPerson: 12, people: 1 }]);
    assert.deepEqual(frameRows(topPeople(ds, 2)), [{ person: people[3], images: 12 }, { person: people[0], images: 3 }]);
    assert.deepEqual(peopleFrame(ds).shape, [4, 2]);
    const stats = await imageStats(ds);
    assert.equal(stats.rows.length, 17);
    assert.equal(stats.errors.length, 1);
    assert.match(stats.errors[0].path, /_0002\.jpg$/);
    const first = stats.rows.find((r) => r.person === people[0] && r.file.endsWith('0001.jpg'))!;
    const [r, g, b] = colourFor(0, 1);
    assert.deepEqual([first.width, first.height, first.channels, first.format], [10, 10, 3, 'jpeg']);
    assert.equal(first.bytes, fs.statSync(path.join(dir, first.person, first.file)).size);
    assert.ok(Math.abs(first.meanR - r) < 4 && Math.abs(first.meanG - g) < 4 && Math.abs(first.meanB - b) < 4, JSON.stringify(first));
    assert.ok(Math.abs(first.brightness - (0.299 * r + 0.587 * g + 0.114 * b)) < 4);
    const frame = imageStatsFrame(stats.rows);
    assert.deepEqual(frame.shape, [17, 11]);
    const desc = describeRows(frame).find((d) => d.column === 'width')!;
    assert.deepEqual([desc.count, desc.mean, desc.min, desc.max], [17, 10, 10, 10]);
    const sampled = await imageStats(ds, { maxImages: 5, rng: new Rng(1) });
    assert.equal(sampled.rows.length + sampled.errors.length, 5);
    assert.ok(sampled.sampled);
    await assert.rejects(imageStats(ds, { maxImages: 5 }), /needs an rng/);
  } finally {
    cleanup();
  }
});

test('pair-list summaries count pairs, folds, people, images and unresolved pairs', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await makeLfwFolder(dir, [2, 1], 8, ['Ann', 'Bob']);
    const ds = await Dataset.open(dir, { cache: null });
    const list = parseOfficialPairs('2\t1\nAnn\t1\t2\nAnn\t1\tBob\t1\nAnn\t1\t3\nCid\t1\tBob\t1\n', 'p.txt');
    assert.deepEqual(pairListSummary(list, ds), { name: 'p', pairs: 4, same: 2, different: 2, folds: 2, people: 3, images: 5, unresolved: 2 });
    assert.deepEqual(pairSummaryFrame([list]).shape, [1, 7]);
  } finally {
    cleanup();
  }
});
