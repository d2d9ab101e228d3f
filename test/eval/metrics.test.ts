import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IsSame } from '../../lib/data/types';
import {
  AS_DISTANCE, AS_SCORE, accuracyAt, auc, bestThreshold, bootstrapCi, computeMetrics, confusionAt, eer, quantile, roc,
  selectMetrics, tarAtFar, METRICS,
} from '../../lib/eval';
import { Rng } from '../../lib/util/rng';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

// Six distances: sorted 0.1 S, 0.2 S, 0.35 D, 0.4 S, 0.8 D, 0.9 D (S = same person).
const D = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9];
const Y: IsSame[] = [1, 1, 0, 0, 1, 0];
// The same pairs as similarities (1 - distance): every metric must agree.
const S = D.map((d) => 1 - d);

describe('confusion and accuracy at a threshold', () => {
  it('counts accepts and rejects by hand', () => {
    // accept d <= 0.3: 0.1 S, 0.2 S accepted; 0.4 S rejected; all D rejected
    assert.deepEqual(confusionAt(D, Y, 0.3, AS_DISTANCE), { tp: 2, fp: 0, tn: 3, fn: 1 });
    close(accuracyAt(D, Y, 0.3, AS_DISTANCE), 5 / 6);
    assert.deepEqual(confusionAt(S, Y, 0.7, AS_SCORE), { tp: 2, fp: 0, tn: 3, fn: 1 });
    // the boundary value is accepted (d <= t)
    assert.deepEqual(confusionAt(D, Y, 0.35, AS_DISTANCE), { tp: 2, fp: 1, tn: 2, fn: 1 });
    assert.deepEqual(confusionAt([0.5], [1], 0.5, AS_SCORE), { tp: 1, fp: 0, tn: 0, fn: 0 });
  });

  it('is NaN for no pairs and rejects bad input naming the index', () => {
    assert.ok(Number.isNaN(accuracyAt([], [], 0.5, AS_DISTANCE)));
    assert.throws(() => accuracyAt([0.1, NaN], [1, 0], 0.5, AS_DISTANCE), /value 1 is NaN/);
    assert.throws(() => accuracyAt([0.1], [2 as IsSame], 0.5, AS_DISTANCE), /label 0 is 2/);
    assert.throws(() => accuracyAt([0.1, 0.2], [1], 0.5, AS_DISTANCE), /2 values but 1 labels/);
    assert.throws(() => accuracyAt([0.1], [1], 0.5, {} as never), /higherIsCloser/);
  });
});

describe('bestThreshold', () => {
  it('finds the hand-computed accuracy maximum (first of two equal maxima)', () => {
    // candidates accept groups k.. (closeness order 0.9D 0.8D 0.4S 0.35D 0.2S 0.1S): correct 3,4,5,4,5,4,3
    const fit = bestThreshold(D, Y, AS_DISTANCE);
    close(fit.threshold, 0.6);
    close(fit.accuracy, 5 / 6);
    assert.equal(fit.n, 6);
    const fitS = bestThreshold(S, Y, AS_SCORE);
    close(fitS.threshold, 0.4);
    close(fitS.accuracy, 5 / 6);
  });

  it('groups ties and takes the middle of a plateau', () => {
    // groups 0.2 (S) and 0.5 (S, D, D): accepting only 0.2 gets 3 of 4 right
    const fit = bestThreshold([0.5, 0.5, 0.5, 0.2], [1, 0, 0, 1], AS_DISTANCE);
    close(fit.threshold, 0.35);
    close(fit.accuracy, 0.75);
    // scores 1(D) 2(S,D) 3(S,D) 4(S): candidates 1..3 all get 4 of 6; the middle one sits between 2 and 3
    const plateau = bestThreshold([1, 2, 2, 3, 3, 4], [0, 1, 0, 1, 0, 1], AS_SCORE);
    close(plateau.threshold, 2.5);
    close(plateau.accuracy, 4 / 6);
  });

  it('handles one class and one distinct value, and refuses no pairs', () => {
    const allSame = bestThreshold([0.3, 0.3], [1, 1], AS_DISTANCE);
    close(allSame.threshold, 0.8); // accept everything: half a unit beyond the only value
    assert.equal(allSame.accuracy, 1);
    const allDiff = bestThreshold([0.3, 0.7], [0, 0], AS_SCORE);
    assert.ok(allDiff.threshold > 0.7);
    assert.equal(allDiff.accuracy, 1);
    assert.throws(() => bestThreshold([], [], AS_DISTANCE), /no pairs/);
  });

  it('reaches its own accuracy when applied back to the data', () => {
    const rng = new Rng('bt');
    const v = Array.from({ length: 200 }, () => Math.round(rng.float() * 20) / 20);
    const y = v.map((x) => (rng.float() < 1 - x ? 1 : 0)) as IsSame[];
    const fit = bestThreshold(v, y, AS_DISTANCE);
    close(accuracyAt(v, y, fit.threshold, AS_DISTANCE), fit.accuracy);
    // and no candidate threshold does better
    for (let t = -0.1; t <= 1.1; t += 0.025) assert.ok(accuracyAt(v, y, t, AS_DISTANCE) <= fit.accuracy + 1e-12);
  });
});

describe('ROC, AUC, EER, TAR@FAR', () => {
  it('ROC points by hand', () => {
    const r = roc(D, Y, AS_DISTANCE);
    assert.deepEqual(r.fpr, [0, 0, 0, 1 / 3, 1 / 3, 2 / 3, 1]);
    assert.deepEqual(r.tpr, [0, 1 / 3, 2 / 3, 2 / 3, 1, 1, 1]);
    assert.deepEqual(r.thresholds, [-Infinity, 0.1, 0.2, 0.35, 0.4, 0.8, 0.9]);
    assert.equal(roc(S, Y, AS_SCORE).thresholds[0], Infinity);
  });

  it('AUC equals the Mann-Whitney count (8 of 9 pos/neg pairs ordered right)', () => {
    close(auc(D, Y, AS_DISTANCE), 8 / 9);
    close(auc(S, Y, AS_SCORE), 8 / 9);
    // reading distances as scores turns the ranking around
    close(auc(D, Y, AS_SCORE), 1 / 9);
  });

  it('AUC counts ties as one half', () => {
    // pos 0.2 beats both negatives (2), pos 0.5 ties both (2 x 0.5): 3 of 4
    close(auc([0.5, 0.5, 0.5, 0.2], [1, 0, 0, 1], AS_DISTANCE), 0.75);
    close(auc([1, 1, 1, 1], [1, 0, 1, 0], AS_SCORE), 0.5);
  });

  it('EER at a ROC point and interpolated between points', () => {
    // at 0.35: FAR 1/3 and FRR 1 - 2/3 = 1/3
    const e = eer(D, Y, AS_DISTANCE);
    close(e.eer, 1 / 3);
    close(e.threshold, 0.35);
    // ROC (0,0) (0,.5)@0.2 (1,1)@0.5: FAR-FRR goes -0.5 -> 1, crossing a third of the way: FAR = FRR = 1/3, t = 0.3
    const t = eer([0.5, 0.5, 0.5, 0.2], [1, 0, 0, 1], AS_DISTANCE);
    close(t.eer, 1 / 3);
    close(t.threshold, 0.3);
    close(eer([0.1, 0.9], [1, 0], AS_DISTANCE).eer, 0);
  });

  it('TAR at FAR reads the best point within the FAR budget', () => {
    const a = tarAtFar(D, Y, 1e-2, AS_DISTANCE);
    assert.deepEqual(a, { tar: 2 / 3, far: 0, threshold: 0.2, limitedByNegatives: true });
    const b = tarAtFar(D, Y, 1 / 3, AS_DISTANCE);
    assert.deepEqual(b, { tar: 1, far: 1 / 3, threshold: 0.4, limitedByNegatives: false });
    assert.throws(() => tarAtFar(D, Y, 2, AS_DISTANCE), /target FAR must be in \[0, 1\], got 2/);
  });

  it('is NaN without both classes or without pairs', () => {
    assert.ok(Number.isNaN(auc([0.1, 0.2], [1, 1], AS_DISTANCE)));
    assert.ok(Number.isNaN(eer([0.1, 0.2], [0, 0], AS_DISTANCE).eer));
    assert.ok(Number.isNaN(tarAtFar([0.1], [1], 0.01, AS_DISTANCE).tar));
    assert.ok(Number.isNaN(auc([], [], AS_DISTANCE)));
    const r = roc([], [], AS_DISTANCE);
    assert.equal(r.fpr.length, 1);
  });
});

describe('the metric record', () => {
  it('computes the default selection, and accuracy only with a threshold', () => {
    const m = computeMetrics(D, Y, AS_DISTANCE);
    assert.deepEqual(Object.keys(m), ['auc', 'eer', 'tarAtFar1e2', 'tarAtFar1e3']);
    close(m.auc!, 8 / 9);
    close(m.eer!, 1 / 3);
    const t = computeMetrics(D, Y, { ...AS_DISTANCE, threshold: 0.3 });
    close(t.accuracy!, 5 / 6);
    close(t.tar!, 2 / 3);
    close(t.far!, 0);
  });

  it('honours include and exclude and names unknown or unusable metrics', () => {
    assert.deepEqual(selectMetrics({ include: ['auc', 'oracleAccuracy'] }), ['auc', 'oracleAccuracy']);
    assert.deepEqual(selectMetrics({ exclude: ['eer', 'tarAtFar1e3'] }), ['auc', 'tarAtFar1e2']);
    close(computeMetrics(D, Y, AS_DISTANCE, { include: ['oracleAccuracy'] }).oracleAccuracy!, 5 / 6);
    assert.throws(() => selectMetrics({ include: ['acc' as never] }), /unknown metric\(s\) in include: "acc"/);
    assert.throws(() => computeMetrics(D, Y, AS_DISTANCE, { include: ['accuracy'] }), /accuracy needs a threshold/);
    for (const m of Object.values(METRICS)) assert.equal(typeof m.compute(D, Y, { ...AS_DISTANCE, threshold: 0.5 }), 'number');
  });
});

describe('bootstrap confidence interval', () => {
  it('quantiles interpolate linearly', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75);
    assert.equal(quantile([7], 0.9), 7);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });

  it('matches a replay of the same draws and is reproducible from the seed', () => {
    const acc = (v: readonly number[], y: readonly IsSame[]): number => accuracyAt(v, y, 0.3, AS_DISTANCE);
    const ci = bootstrapCi(D, Y, acc, new Rng('boot'), { resamples: 50, level: 0.9 });
    const replay = new Rng('boot');
    const stats: number[] = [];
    for (let r = 0; r < 50; r++) {
      const idx = D.map(() => replay.int(D.length));
      stats.push(acc(idx.map((i) => D[i]), idx.map((i) => Y[i])));
    }
    stats.sort((a, b) => a - b);
    close(ci.estimate, 5 / 6);
    close(ci.lo, quantile(stats, 0.05));
    close(ci.hi, quantile(stats, 0.95));
    assert.equal(ci.resamples, 50);
    assert.deepEqual(bootstrapCi(D, Y, acc, new Rng('boot'), { resamples: 50, level: 0.9 }), ci);
    assert.notDeepEqual(bootstrapCi(D, Y, acc, new Rng('other'), { resamples: 50, level: 0.9 }), ci);
    assert.ok(ci.lo <= ci.estimate && ci.estimate <= ci.hi);
  });

  it('drops resamples where the metric is undefined, and has zero width on constant data', () => {
    // two pairs, one per class: a resample has both classes (AUC defined) with probability 1/2
    const ci = bootstrapCi([0.1, 0.9], [1, 0], (v, y) => auc(v, y, AS_DISTANCE), new Rng('d'), { resamples: 200 });
    const replay = new Rng('d');
    let single = 0;
    for (let r = 0; r < 200; r++) if (replay.int(2) === replay.int(2)) single++;
    assert.equal(ci.dropped, single);
    assert.equal(ci.lo, 1);
    assert.equal(ci.hi, 1);
    const flat = bootstrapCi([0.2, 0.2, 0.2], [1, 0, 1], () => 0.5, new Rng('f'));
    assert.deepEqual([flat.lo, flat.hi, flat.estimate], [0.5, 0.5, 0.5]);
  });

  it('rejects bad configs and no pairs', () => {
    assert.throws(() => bootstrapCi([], [], () => 1, new Rng(1)), /no pairs/);
    assert.throws(() => bootstrapCi([1], [1], () => 1, new Rng(1), { level: 1.5 }), /level must be in \(0, 1\), got 1.5/);
    assert.throws(() => bootstrapCi([1], [1], () => 1, new Rng(1), { resamples: 0 }), /resamples must be a positive integer, got 0/);
  });
});
