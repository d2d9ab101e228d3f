import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridRuns } from '../../lib/train';

test('grid runs are every combination, named after the optimizer, schedule and loss they train with', () => {
  const runs = gridRuns({ name: 'g', epochs: 1 }, {
    optimizer: [{ name: 'adam' }, { name: 'rmsprop', lr: 1e-4 }],
    loss: [{ loss: { name: 'contrastive', margin: 1 }, head: 'euclidean' }, { loss: { name: 'bce' }, head: 'bceAbsDiff' }],
  });
  // no schedule axis and none in the base: they train with the default schedule (cosine), and say so
  assert.deepEqual(runs.map((r) => r.name), ['g-adam-cosine-contrastive', 'g-adam-cosine-bce', 'g-rmsprop-cosine-contrastive', 'g-rmsprop-cosine-bce']);
  assert.deepEqual(runs[2].optimizer, { name: 'rmsprop', lr: 1e-4 });
  assert.equal(runs[3].head, 'bceAbsDiff');
  const stepped = gridRuns({ schedule: { name: 'step', stepSize: 2 } }, { schedule: [{}, { name: 'constant' }] });
  assert.deepEqual(stepped.map((r) => r.name), ['grid-adam-step-contrastive', 'grid-adam-constant-contrastive']);
});
