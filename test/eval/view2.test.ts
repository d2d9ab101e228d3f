import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lfwRef, loadOfficialPairs, makePairList } from '../../lib/data';
import type { IsSame, Pair } from '../../lib/data/types';
import {
  AS_DISTANCE, AS_SCORE, assertNoFoldLeakage, crossValidate, crossValidateWith, fixedVsCalibrated, foldLeakage, summarizeFolds,
} from '../../lib/eval';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

// Three folds of two pairs; the third fold is upside down.
const V = [0.1, 0.9, 0.2, 0.8, 0.6, 0.4];
const Y: IsSame[] = [1, 0, 1, 0, 1, 0];
const F = [0, 0, 1, 1, 2, 2];

describe('View 2 cross-validation', () => {
  it('fits each fold on the others (hand-computed)', () => {
    const cv = crossValidate(V, Y, F, AS_DISTANCE);
    // fold 0 trains on 0.2S 0.8D 0.6S 0.4D: best = accept <= 0.7 (3 of 4); fold 1 likewise <= 0.75; fold 2 <= 0.5
    assert.deepEqual(cv.folds.map((f) => f.fold), [0, 1, 2]);
    [0.7, 0.75, 0.5].forEach((t, i) => close(cv.folds[i].threshold, t));
    assert.deepEqual(cv.folds.map((f) => f.trainAccuracy), [0.75, 0.75, 1]);
    assert.deepEqual(cv.folds.map((f) => f.accuracy), [1, 1, 0]);
    assert.deepEqual(cv.folds[2].confusion, { tp: 0, fp: 1, tn: 0, fn: 1 });
    close(cv.mean, 2 / 3);
    close(cv.std, Math.sqrt(1 / 3));
    close(cv.stdError, 1 / 3);
    assert.deepEqual(cv.folds.map((f) => [f.nTrain, f.nTest]), [[4, 2], [4, 2], [4, 2]]);
  });

  it('gives the same answer for scores pointing the other way', () => {
    const cv = crossValidate(V.map((v) => -v), Y, F, AS_SCORE);
    assert.deepEqual(cv.folds.map((f) => f.accuracy), [1, 1, 0]);
    close(cv.folds[0].threshold, -0.7);
  });

  it('summarizes folds with the sample standard deviation', () => {
    const s = summarizeFolds([0.9, 0.95, 1]);
    close(s.mean, 0.95);
    close(s.std, 0.05);
    close(s.stdError, 0.05 / Math.sqrt(3));
    assert.ok(Number.isNaN(summarizeFolds([0.5]).std));
    assert.throws(() => summarizeFolds([]), /no folds/);
  });

  it('refuses bad folds', () => {
    assert.throws(() => crossValidate(V, Y, [0, 0, 0, 0, 0, 0], AS_DISTANCE), /at least 2 folds, got 1/);
    assert.throws(() => crossValidate(V, Y, [0, 1], AS_DISTANCE), /6 pairs but 2 fold numbers/);
    assert.throws(() => crossValidate(V, Y, [0, 0, 1, 1, 2, -1], AS_DISTANCE), /fold of pair 5 is -1/);
  });

  it('fits a head per fold through a callback that only sees training indices', async () => {
    const seen: number[][] = [];
    const cv = await crossValidateWith(Y, F, ({ fold, train, test }) => {
      assert.ok(train.every((i) => F[i] !== fold) && test.every((i) => F[i] === fold));
      seen.push([...test]);
      return { higherIsCloser: false, train: train.map((i) => V[i]), test: test.map((i) => V[i]) };
    });
    assert.deepEqual(seen, [[0, 1], [2, 3], [4, 5]]);
    assert.deepEqual(cv, crossValidate(V, Y, F, AS_DISTANCE));
    await assert.rejects(crossValidateWith(Y, F, () => ({ higherIsCloser: true, train: [1], test: [] })), /fold 0: fitFold returned 1 train and 0 test values for 4 and 2 pairs/);
  });

  it('fits the threshold on the calibrateOn pairs only, and tests only the folds asked for', async () => {
    // fold 2 tested; calibrated on fold 0 alone (0.1S 0.9D: best "<= 0.5"), not on folds 0 and 1 together
    const cv = await crossValidateWith(Y, F, ({ fold, test }) => {
      const calibrateOn = F.flatMap((f, i) => (f === (fold + 1) % 3 ? [i] : []));
      return { higherIsCloser: false, train: calibrateOn.map((i) => V[i]), test: test.map((i) => V[i]), calibrateOn };
    }, { only: [2] });
    assert.deepEqual(cv.folds.map((f) => f.fold), [2]);
    close(cv.folds[0].threshold, 0.5);
    assert.equal(cv.folds[0].nTrain, 2);
    // at 0.5, fold 2's 0.6S is rejected and 0.4D accepted
    assert.equal(cv.folds[0].accuracy, 0);
    await assert.rejects(crossValidateWith(Y, F, ({ test }) => ({ higherIsCloser: false, train: [0.1], test: test.map((i) => V[i]), calibrateOn: [test[0]] })),
      /fold 0: calibrateOn lists pair 0, which is not a training pair of this fold/);
    await assert.rejects(crossValidateWith(Y, F, () => ({ higherIsCloser: false, train: [], test: [] }), { only: [7] }), /fold 7 is not one of 0, 1, 2/);
  });

  it('compares a fixed threshold with the calibrated one', () => {
    // fixed "distance <= 0.15": fold 0 both right; fold 1 rejects 0.2S; fold 2 rejects 0.6S
    const c = fixedVsCalibrated(V, Y, F, AS_DISTANCE, 0.15);
    assert.deepEqual(c.fixed.accuracies, [1, 0.5, 0.5]);
    close(c.fixed.mean, 2 / 3);
    close(c.calibrated.mean, 2 / 3);
    assert.throws(() => fixedVsCalibrated(V, Y, F, AS_DISTANCE, NaN), /fixed threshold must be a finite number/);
  });
});

describe('fold leakage', () => {
  const p = (a: [string, number], b: [string, number], isSame: IsSame): Pair => ({ a: lfwRef(...a), b: lfwRef(...b), isSame });
  const list = makePairList('toy', [
    p(['Ann', 1], ['Ann', 2], 1), p(['Bob', 1], ['Cat', 1], 0),
    p(['Dan', 1], ['Dan', 2], 1), p(['Eve', 1], ['Bob', 2], 0),
  ], [0, 0, 1, 1]);

  it('finds people shared between folds and with extra training data', () => {
    const leaks = foldLeakage(list);
    assert.deepEqual(leaks, [{ fold: 0, people: ['Bob'], images: [] }, { fold: 1, people: ['Bob'], images: [] }]);
    const withExtra = foldLeakage(list, [{ name: 'View 1', images: [lfwRef('Dan', 2)] }]);
    assert.deepEqual(withExtra[1], { fold: 1, people: ['Bob', 'Dan'], images: ['Dan/Dan_0002.jpg'] });
    assert.throws(() => assertNoFoldLeakage(list), /2 test fold\(s\) share data[\s\S]*fold 1: 1 people \(Bob\), 0 images/);
  });

  it('finds the official View 2 folds person-disjoint, and View 1 overlapping them', async () => {
    const v2 = await loadOfficialPairs('pairs');
    assert.equal(assertNoFoldLeakage(v2).length, 10);
    const v1 = await loadOfficialPairs('pairsDevTrain');
    const leaks = foldLeakage(v2, [{ name: 'pairsDevTrain', images: v1.pairs.flatMap((q) => [q.a, q.b]) }]);
    assert.ok(leaks.every((l) => l.people.length > 0));
  });
});
