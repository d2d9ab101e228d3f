import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COSINE, EUCLIDEAN, GalleryIndex, averagePrecision, firstHitRank, meanAveragePrecision, metricOf, rankKAccuracy, rankOrder, retrievalScores,
} from '../../lib/apps';
import { AS_SCORE, AS_DISTANCE } from '../../lib/eval';
import { euclideanDistance } from '../../lib/distances';
import { Rng } from '../../lib/util';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('retrieval metrics on ranked relevance lists (by hand)', () => {
  it('average precision is the mean precision at each relevant rank', () => {
    close(averagePrecision([1, 0, 1, 0]), (1 / 1 + 2 / 3) / 2);
    close(averagePrecision([0, 1, 1]), (1 / 2 + 2 / 3) / 2);
    close(averagePrecision([1, 1]), 1);
    assert.equal(averagePrecision([0, 0]), 0);
    close(meanAveragePrecision([1, 0.5]), 0.75);
    assert.equal(meanAveragePrecision([]), 0);
  });

  it('first-hit rank and rank-k accuracy', () => {
    assert.equal(firstHitRank([0, 0, 1]), 3);
    assert.equal(firstHitRank([0, 0]), Infinity);
    const ranks = [1, 3, Infinity, 2];
    assert.equal(rankKAccuracy(ranks, 1), 0.25);
    assert.equal(rankKAccuracy(ranks, 2), 0.5);
    assert.equal(rankKAccuracy(ranks, 3), 0.75);
    assert.throws(() => rankKAccuracy(ranks, 0), /integer k >= 1, got 0/);
  });

  it('rankOrder sorts closest first for distances and for scores, ties by index', () => {
    assert.deepEqual(rankOrder([3, 1, 2, 1], AS_DISTANCE), [1, 3, 2, 0]);
    assert.deepEqual(rankOrder([3, 1, 2, 1], AS_SCORE), [0, 2, 1, 3]);
  });

  it('leave-one-out scores of a 1-D set, worked out by hand', () => {
    // A at 0 and 6, B at 4 and 10, C at 3 (a singleton: a distractor, not a query)
    const s = retrievalScores([[0], [6], [4], [10], [3]], ['A', 'A', 'B', 'B', 'C'], EUCLIDEAN, [1, 2, 3]);
    assert.equal(s.queries, 4);
    assert.deepEqual(s.perQuery.map((q) => q.firstRank), [3, 4, 4, 2]);
    assert.deepEqual(s.perQuery.map((q) => q.ap), [1 / 3, 1 / 4, 1 / 4, 1 / 2]);
    assert.equal(s.rank1, 0);
    assert.equal(s.rankK[2], 0.25);
    assert.equal(s.rankK[3], 0.5);
    close(s.mAP, (1 / 3 + 1 / 4 + 1 / 4 + 1 / 2) / 4);
    assert.throws(() => retrievalScores([[0]], ['A', 'B']), /1 embeddings but 2 labels/);
  });

  it('cosine similarity and the metric of an embedder', () => {
    close(COSINE.compare([1, 0], [0, 1]), 0);
    close(COSINE.compare([1, 1], [2, 2]), 1);
    close(EUCLIDEAN.compare([0, 0], [3, 4]), 5);
    assert.equal(metricOf({ name: 'x', compare: euclideanDistance, higherIsCloser: false }), EUCLIDEAN);
    const custom = metricOf({ name: 'dot', compare: (a, b) => a[0] * b[0], higherIsCloser: true });
    assert.equal(custom.compare([2], [3]), 6);
    assert.equal(custom.higherIsCloser, true);
  });
});

describe('GalleryIndex', () => {
  const rng = new Rng(11);
  const entries = Array.from({ length: 200 }, (_, i) => ({ person: `P${i % 20}`, file: `f${i}.jpg`, embedding: Array.from({ length: 8 }, () => rng.normal()) }));

  it('exact top-k equals a full sort of every distance (Euclidean) and of every score (cosine)', () => {
    for (const metric of [EUCLIDEAN, COSINE]) {
      const index = new GalleryIndex(entries, 'm', metric);
      const q = Array.from({ length: 8 }, () => rng.normal());
      const all = entries.map((e) => metric.compare(q, e.embedding));
      const expected = rankOrder(all, metric).slice(0, 7);
      const hits = index.search(q, 7);
      assert.deepEqual(hits.map((h) => h.index), expected);
      assert.deepEqual(hits.map((h) => h.rank), [1, 2, 3, 4, 5, 6, 7]);
      hits.forEach((h) => close(h.value, all[h.index], 1e-5));
      assert.equal(hits[0].person, entries[expected[0]].person);
    }
  });

  it('k larger than the gallery returns all of it; exclude skips entries', () => {
    const small = new GalleryIndex(entries.slice(0, 3), 'm');
    assert.equal(small.search(entries[0].embedding, 10).length, 3);
    const hits = small.search(entries[0].embedding, 1, { exclude: new Set([0]) });
    assert.notEqual(hits[0].index, 0);
    assert.equal(small.search(entries[0].embedding, 1)[0].value, 0);
    assert.deepEqual(small.people, ['P0', 'P1', 'P2']);
  });

  it('refuses an empty gallery, ragged entries and a query from another model', () => {
    assert.throws(() => new GalleryIndex([], 'm'), /the gallery is empty/);
    assert.throws(() => new GalleryIndex([entries[0], { ...entries[1], embedding: [1] }], 'm'), /entry 1 \(f1\.jpg\) has 1 values, entry 0 has 8/);
    const index = new GalleryIndex(entries, 'face-api');
    assert.throws(() => index.search([1, 2], 1), /model mismatch: the query has 2 values but the gallery's face-api embeddings have 8/);
    assert.throws(() => index.search(entries[0].embedding, 1, { model: 'default' }), /model mismatch: the gallery was indexed with face-api but the query was embedded with default/);
    assert.throws(() => index.search(entries[0].embedding, 0), /k must be an integer >= 1, got 0/);
  });
});
