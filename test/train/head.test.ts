import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { IsSame } from '../../lib/data/types';
import { auc } from '../../lib/eval';
import { euclideanDistance } from '../../lib/distances';
import { DEFAULT_HEAD, resolveHead, trainHead, type HeadPairs } from '../../lib/train';
import { Rng } from '../../lib/util/rng';

/**
 * Synthetic "frozen embeddings" in 8-D: identity lives in dims 0-3 (centres N(0, 1), images ±0.15 around
 * them); dims 4-7 are a nuisance (pose, light) drawn per image with std 2, which swamps raw distances.
 */
function identities(rng: Rng, people: number, perPerson: number): number[][][] {
  return Array.from({ length: people }, () => {
    const centre = Array.from({ length: 4 }, () => rng.normal());
    return Array.from({ length: perPerson }, () => [...centre.map((c) => c + rng.normal(0, 0.15)), ...Array.from({ length: 4 }, () => rng.normal(0, 2))]);
  });
}

/** Balanced pairs: n same-person and n different-person pairs. */
function pairsOf(rng: Rng, people: number[][][], n: number): HeadPairs {
  const a: number[][] = [], b: number[][] = [], isSame: IsSame[] = [];
  for (let i = 0; i < n; i++) {
    const p = rng.int(people.length);
    const [x, y] = rng.sample(people[p], 2);
    a.push(x); b.push(y); isSame.push(1);
    let q = rng.int(people.length - 1);
    if (q >= p) q += 1;
    a.push(rng.pick(people[p])); b.push(rng.pick(people[q])); isSame.push(0);
  }
  return { a, b, isSame };
}

const rng = new Rng('head-test');
const TRAIN = pairsOf(rng.fork('train-pairs'), identities(rng.fork('train-people'), 20, 6), 200);
// held-out identities: none of these people is in TRAIN
const TEST = pairsOf(rng.fork('test-pairs'), identities(rng.fork('test-people'), 10, 6), 100);
const CFG = { layers: [16, 8], epochs: 40, batchSize: 32, lr: 5e-3, seed: 3 };

function aucOf(compare: (a: readonly number[], b: readonly number[]) => number, p: HeadPairs): number {
  return auc(p.a.map((x, i) => compare(x, p.b[i])), p.isSame, { higherIsCloser: false });
}

describe('trainHead', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('separates held-out identities better than the raw embeddings', () => {
    const head = trainHead(TRAIN, CFG);
    const raw = aucOf(euclideanDistance, TEST);
    const trained = aucOf(head.compare, TEST);
    assert.ok(head.losses[head.losses.length - 1] < head.losses[0], `loss did not fall: ${head.losses[0]} -> ${head.losses.at(-1)}`);
    assert.ok(trained > 0.95 && trained > raw + 0.1, `held-out AUC: head ${trained.toFixed(3)}, raw ${raw.toFixed(3)}`);
  });

  it('outputs unit vectors of the last layer size', () => {
    const head = trainHead(TRAIN, { ...CFG, epochs: 1 });
    const out = head.apply(TEST.a[0]);
    assert.equal(out.length, 8);
    assert.ok(Math.abs(Math.hypot(...out) - 1) < 1e-9);
    assert.equal(head.compare(TEST.a[0], TEST.a[0]), 0);
    assert.throws(() => head.apply([1, 2, 3]), /3 values, expected 8/);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const x = TEST.a[5];
    const h1 = trainHead(TRAIN, { ...CFG, epochs: 3 });
    const h2 = trainHead(TRAIN, { ...CFG, epochs: 3 });
    const h3 = trainHead(TRAIN, { ...CFG, epochs: 3, seed: 4 });
    assert.deepEqual(h1.losses, h2.losses);
    assert.deepEqual(h1.apply(x), h2.apply(x));
    assert.notDeepEqual(h1.apply(x), h3.apply(x));
  });

  it('leaves no tensor behind', () => {
    trainHead(TRAIN, { ...CFG, epochs: 1 });
    const before = tf.memory().numTensors;
    trainHead(TRAIN, { ...CFG, epochs: 2 });
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects bad configs and pairs, naming the value', () => {
    assert.deepEqual(resolveHead(), { ...DEFAULT_HEAD });
    assert.throws(() => resolveHead({ epochs: 0 }), /epochs must be a positive integer, got 0/);
    assert.throws(() => resolveHead({ batchSize: 2.5 }), /batchSize must be a positive integer, got 2.5/);
    assert.throws(() => resolveHead({ lr: -1 }), /lr must be a positive number, got -1/);
    assert.throws(() => resolveHead({ margin: 3 }), /margin must be in \(0, 2\].*got 3/);
    assert.throws(() => resolveHead({ layers: [16, 0] }), /layers .* got \[16,0\]/);
    assert.throws(() => resolveHead({ seed: NaN }), /seed must be a finite number, got null/);
    assert.throws(() => trainHead({ a: [], b: [], isSame: [] }), /no training pairs/);
    assert.throws(() => trainHead({ a: [[1, 2]], b: [[1]], isSame: [1] }), /b\[0\] has 1 values, expected 2/);
    assert.throws(() => trainHead({ a: [[1, 2]], b: [[1, 2]], isSame: [2 as IsSame] }), /isSame\[0\] = 2/);
  });
});
