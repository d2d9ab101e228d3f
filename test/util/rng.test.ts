import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, hash128 } from '../../lib/util';

test('the same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 100 }, () => a.nextUint32());
  assert.deepEqual(Array.from({ length: 100 }, () => b.nextUint32()), xs);
  assert.notDeepEqual(Array.from({ length: 100 }, () => c.nextUint32()), xs);
  assert.notEqual(new Rng('42').fork('x').float(), new Rng('43').fork('x').float());
});

test('the stream is pinned: a known seed gives known numbers (catches accidental algorithm changes)', () => {
  const r = new Rng(0);
  const first = [r.nextUint32(), r.nextUint32(), r.nextUint32()];
  assert.deepEqual(first, PINNED_SEED0);
});

test('forks are independent of draws from the parent and of each other', () => {
  const parent = new Rng(7);
  const before = parent.fork('pairs').float();
  for (let i = 0; i < 1000; i++) parent.float();
  assert.equal(parent.fork('pairs').float(), before, 'a fork depends only on seed and name');
  const x = parent.fork('x');
  const y = parent.fork('y');
  const n = 5000;
  const xs = Array.from({ length: n }, () => x.float() - 0.5);
  const ys = Array.from({ length: n }, () => y.float() - 0.5);
  const cov = xs.reduce((s, v, i) => s + v * ys[i], 0) / n;
  assert.ok(Math.abs(cov / (1 / 12)) < 0.05, `forks correlated: r=${cov * 12}`);
  assert.equal(parent.fork('a').fork('b').key, '7/a/b');
});

test('state round-trips through JSON and continues the same stream', () => {
  const a = new Rng('resume');
  for (let i = 0; i < 37; i++) a.float();
  const saved = JSON.parse(JSON.stringify(a.getState()));
  const b = Rng.fromState(saved);
  assert.deepEqual(Array.from({ length: 50 }, () => b.float()), Array.from({ length: 50 }, () => a.float()));
  assert.equal(b.fork('k').float(), a.fork('k').float(), 'forks of a restored rng match');
  assert.throws(() => Rng.fromState({ key: 'x', s: [1, 2, 3] as unknown as [number, number, number, number] }), /Not an Rng state/);
});

test('distributions: uniform floats, unbiased ints, normal moments', () => {
  const r = new Rng(1);
  const n = 20000;
  const f = Array.from({ length: n }, () => r.float());
  assert.ok(f.every((v) => v >= 0 && v < 1));
  assert.ok(Math.abs(f.reduce((s, v) => s + v, 0) / n - 0.5) < 0.01);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < n; i++) counts[r.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c / n - 1 / 6) < 0.015, `int(6) biased: ${counts}`);
  const z = Array.from({ length: n }, () => r.normal());
  const mean = z.reduce((s, v) => s + v, 0) / n;
  const variance = z.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.04, `normal: mean ${mean}, var ${variance}`);
  assert.throws(() => r.int(0), /integer n/);
  assert.throws(() => new Rng(Number.NaN), /finite/);
});

test('shuffle, sample and pick are seeded permutations', () => {
  const items = Array.from({ length: 20 }, (_, i) => i);
  const s1 = new Rng(3).shuffled(items);
  assert.deepEqual(new Rng(3).shuffled(items), s1);
  assert.deepEqual([...s1].sort((a, b) => a - b), items);
  assert.notDeepEqual(s1, items);
  const sample = new Rng(3).sample(items, 5);
  assert.equal(new Set(sample).size, 5);
  assert.throws(() => new Rng(3).sample(items, 21), /cannot draw 21 of 20/);
  assert.throws(() => new Rng(3).pick([]), /empty/);
  const seed = new Rng(9).seed();
  assert.ok(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31);
});

test('hash128 spreads similar strings', () => {
  const a = hash128('seed/a');
  const b = hash128('seed/b');
  const differing = a.reduce((s, w, i) => s + popcount(w ^ b[i]), 0);
  assert.ok(differing > 40 && differing < 88, `only ${differing} of 128 bits differ`);
});

function popcount(x: number): number {
  let c = 0;
  for (let v = x >>> 0; v; v >>>= 1) c += v & 1;
  return c;
}

const PINNED_SEED0 = [3108166516, 3226281304, 10507888];
