import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { imagesPerPersonPlot, topPeoplePlot, channelMeansPlot, pairBalancePlot, splitSizesPlot, imageSizePlot, brightnessPlot } from '../../lib/viz';

test('plot specs carry the numbers they were given', () => {
  const ipp = imagesPerPersonPlot([{ imagesPerPerson: 1, people: 4069 }, { imagesPerPerson: 2, people: 779 }]);
  assert.deepEqual([ipp.data[0].x, ipp.data[0].y], [[1, 2], [4069, 779]]);
  assert.equal((ipp.layout.yaxis as { type: string }).type, 'log');
  const top = topPeoplePlot([{ person: 'George_W_Bush', images: 530 }, { person: 'Colin_Powell', images: 236 }]);
  assert.deepEqual(top.data[0].y, ['Colin_Powell', 'George_W_Bush']); // largest drawn on top
  const ch = channelMeansPlot([{ meanR: 1, meanG: 2, meanB: 3 }]);
  assert.deepEqual(ch.data.map((d) => d.x), [[1], [2], [3]]);
  const bal = pairBalancePlot([{ name: 'pairs', same: 3000, different: 3000 }]);
  assert.deepEqual(bal.data.map((d) => d.y), [[3000], [3000]]);
  const sizes = splitSizesPlot([{ split: 'train', people: 10, pairs: 300 }]);
  assert.deepEqual(sizes.data.map((d) => d.y), [[10], [300]]);
  const imgs = imageSizePlot([{ width: 250, height: 250 }, { width: 250, height: 250 }, { width: 100, height: 50 }]);
  assert.deepEqual([imgs.data[0].x, imgs.data[0].y], [[250, 100], [250, 50]]);
  assert.deepEqual(brightnessPlot([5, 6]).data[0].x, [5, 6]);
  assert.doesNotThrow(() => JSON.stringify([ipp, top, ch, bal, sizes, imgs]));
});
