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

test('a loss axis entry may draw its own training pairs: triplet on P×K batches beside BCE and contrastive on the given pairs', () => {
  const runs = gridRuns({ name: 'g', epochs: 1 }, {
    loss: [
      { loss: { name: 'contrastive', margin: 1 }, head: 'euclidean' },
      { loss: { name: 'bce' }, head: 'bceConcat' },
      { loss: { name: 'triplet', margin: 0.2 }, head: 'euclidean', sampling: { name: 'identityPK', perPerson: 4 } },
    ],
  });
  assert.deepEqual(runs.map((r) => r.name), ['g-adam-cosine-contrastive', 'g-adam-cosine-bce', 'g-adam-cosine-triplet-identityPK']);
  assert.equal(runs[0].sampling, undefined, 'an entry without sampling keeps the base\'s (the given pairs)');
  assert.deepEqual(runs[2].sampling, { name: 'identityPK', perPerson: 4 });
  // under a base that samples identities, an entry goes back to the given pairs with {name: 'given'}
  const sampled = gridRuns({ name: 'g', sampling: { name: 'identityPK' } }, {
    loss: [{ loss: { name: 'bce' }, head: 'bceConcat', sampling: { name: 'given' } }, { loss: { name: 'contrastive', margin: 1, pairs: 'batch' }, head: 'euclidean' }],
  });
  assert.deepEqual(sampled.map((r) => r.name), ['g-adam-cosine-bce', 'g-adam-cosine-contrastive-identityPK']);
  assert.throws(() => gridRuns({ name: 'g' }, { loss: [{ loss: { name: 'triplet', margin: 0.2 }, head: 'euclidean' }] }), /loss triplet needs batches of several images per person/);
});
