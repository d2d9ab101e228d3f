import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agglomerative, clusterEmbeddings, clusterScores, pairwiseScores, pairwiseValues, purity } from '../../lib/apps';
import { AS_DISTANCE, AS_SCORE } from '../../lib/eval';

describe('agglomerative clustering at a threshold (by hand)', () => {
  it('merges while the linkage (complete by default) is within the threshold', () => {
    // 0-1 and 5-6 merge at distance 1; the two pairs are 5 apart on average; 20 stays alone
    const c = clusterEmbeddings([[0], [1], [5], [6], [20]], { threshold: 2 });
    assert.deepEqual(c.labels, [0, 0, 1, 1, 2]);
    assert.deepEqual(c.clusters, [[0, 1], [2, 3], [4]]);
  });

  it('average and complete linkage differ where they should', () => {
    // 0, 2, 4: {0, 2} first (tie with {2, 4}: lowest indices); then {0, 2} to 4 is 3 on average, 4 at most
    const xs = [[0], [2], [4]];
    assert.deepEqual(clusterEmbeddings(xs, { threshold: 3.5, linkage: 'average' }).clusters, [[0, 1, 2]]);
    assert.deepEqual(clusterEmbeddings(xs, { threshold: 3.5, linkage: 'complete' }).clusters, [[0, 1], [2]]);
  });

  it('threshold extremes give singletons or one cluster; similarities work the same way negated', () => {
    const xs = [[0], [1], [5], [6], [20]];
    assert.equal(clusterEmbeddings(xs, { threshold: 0.5 }).clusters.length, 5);
    assert.deepEqual(clusterEmbeddings(xs, { threshold: 100 }).labels, [0, 0, 0, 0, 0]);
    const d = pairwiseValues(xs);
    const sim = d.map((row) => row.map((v) => -v));
    assert.deepEqual(agglomerative(sim, AS_SCORE, { threshold: -2 }).labels, agglomerative(d, AS_DISTANCE, { threshold: 2 }).labels);
  });

  it('is deterministic and independent of the item order up to relabelling', () => {
    const xs = [[0, 0], [0, 1], [5, 5], [5, 6], [0, 0.5], [9, 9]];
    const a = clusterEmbeddings(xs, { threshold: 1.5 });
    assert.deepEqual(clusterEmbeddings(xs, { threshold: 1.5 }), a);
    const order = [5, 3, 1, 0, 4, 2];
    const b = clusterEmbeddings(order.map((i) => xs[i]), { threshold: 1.5 });
    // the same groups of original items, whatever their ids
    const groupsA = a.clusters.map((c) => c.join(',')).sort();
    const groupsB = b.clusters.map((c) => c.map((k) => order[k]).sort((x, y) => x - y).join(',')).sort();
    assert.deepEqual(groupsB, groupsA);
    assert.deepEqual(groupsA, ['0,1,4', '2,3', '5']);
  });

  it('rejects bad input', () => {
    assert.throws(() => agglomerative([[0, 1], [1]], AS_DISTANCE, { threshold: 1 }), /row 1 has 1/);
    assert.throws(() => agglomerative([[0, NaN], [NaN, 0]], AS_DISTANCE, { threshold: 1 }), /values\[0\]\[1\] is NaN/);
    assert.throws(() => agglomerative([[0]], AS_DISTANCE, { threshold: 1, linkage: 'single' as 'average' }), /linkage must be 'average' or 'complete', got "single"/);
    assert.throws(() => agglomerative([[0]], AS_DISTANCE, { threshold: NaN }), /threshold must be a finite number/);
  });
});

describe('cluster scores (by hand)', () => {
  const ids = [0, 0, 1, 1, 1];
  const truth = ['a', 'a', 'a', 'b', 'b'];

  it('purity counts each cluster\'s majority person', () => {
    assert.equal(purity(ids, truth), 4 / 5);
    assert.equal(purity([0, 1, 2, 3, 4], truth), 1);
    assert.equal(purity([0, 0, 0, 0, 0], truth), 3 / 5);
  });

  it('pairwise precision, recall and F1', () => {
    // together: (0,1) (2,3) (2,4) (3,4) = 4 pairs; same person: (0,1) (0,2) (1,2) (3,4) = 4; both: (0,1) (3,4)
    const s = pairwiseScores(ids, truth);
    assert.deepEqual([s.truePairs, s.predictedPairs, s.actualPairs], [2, 4, 4]);
    assert.equal(s.precision, 0.5);
    assert.equal(s.recall, 0.5);
    assert.equal(s.f1, 0.5);
    const single = pairwiseScores([0, 1, 2, 3, 4], truth);
    assert.deepEqual([single.precision, single.recall, single.f1], [0, 0, 0]);
    const perfect = clusterScores([7, 7, 7, 3, 3], truth);
    assert.deepEqual([perfect.purity, perfect.f1, perfect.clusters, perfect.people, perfect.singletons], [1, 1, 2, 2, 0]);
    assert.throws(() => purity([0], truth), /1 cluster ids but 5 labels/);
  });
});
