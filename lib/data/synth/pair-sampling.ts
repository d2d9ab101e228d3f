/**
 * Balanced pair sampling for the synthetic set's official-format pair files: matched pairs spread over
 * as many people as possible, mismatched pairs between random people, no pair twice.
 */
import type { Rng } from '../../util/rng';
import { lfwRef } from '../dataset';
import type { Pair } from '../types';

/** A person and how many images they have (numbered 1..images). */
export interface PersonImages {
  readonly name: string;
  readonly images: number;
}

/** How many distinct matched pairs `people` allow. */
export function matchedAvailable(people: readonly PersonImages[]): number {
  return people.reduce((s, p) => s + (p.images * (p.images - 1)) / 2, 0);
}

/** How many distinct mismatched pairs `people` allow. */
export function mismatchedAvailable(people: readonly PersonImages[]): number {
  let total = 0, seen = 0;
  for (const p of people) {
    total += p.images * seen;
    seen += p.images;
  }
  return total;
}

const byName = (a: Pair, b: Pair): number =>
  a.a.person < b.a.person ? -1 : a.a.person > b.a.person ? 1 : a.a.file < b.a.file ? -1 : a.a.file > b.a.file ? 1
    : a.b.person < b.b.person ? -1 : a.b.person > b.b.person ? 1 : a.b.file < b.b.file ? -1 : a.b.file > b.b.file ? 1 : 0;

/**
 * `n` distinct matched pairs, taken round-robin over the people in random order so that every person
 * contributes before anyone contributes twice; sorted by name like LFW's files.
 */
export function sampleMatched(rng: Rng, people: readonly PersonImages[], n: number): Pair[] {
  if (n > matchedAvailable(people)) throw new RangeError(`cannot draw ${n} distinct matched pairs from ${people.length} people (only ${matchedAvailable(people)} exist)`);
  const queues = rng.shuffled(people).map((p) => {
    const combos: Array<[number, number]> = [];
    for (let i = 1; i <= p.images; i++) for (let j = i + 1; j <= p.images; j++) combos.push([i, j]);
    return { name: p.name, combos: rng.shuffle(combos) };
  });
  const out: Pair[] = [];
  while (out.length < n) {
    for (const q of queues) {
      if (out.length >= n) break;
      const c = q.combos.pop();
      if (c) out.push({ a: lfwRef(q.name, c[0]), b: lfwRef(q.name, c[1]), isSame: 1 });
    }
  }
  return out.sort(byName);
}

/** `n` distinct mismatched pairs between two different people (the alphabetically first one on the left). */
export function sampleMismatched(rng: Rng, people: readonly PersonImages[], n: number): Pair[] {
  const available = mismatchedAvailable(people);
  if (n > available) throw new RangeError(`cannot draw ${n} distinct mismatched pairs from ${people.length} people (only ${available} exist)`);
  const out: Pair[] = [];
  const seen = new Set<string>();
  const add = (p: PersonImages, i: number, q: PersonImages, j: number): void => {
    const [x, xi, y, yi] = p.name < q.name ? [p, i, q, j] : [q, j, p, i];
    const key = `${x.name}\t${xi}\t${y.name}\t${yi}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ a: lfwRef(x.name, xi), b: lfwRef(y.name, yi), isSame: 0 });
  };
  if (n * 4 >= available) {
    // Small sets: enumerate everything and sample without replacement.
    const all: Array<[PersonImages, number, PersonImages, number]> = [];
    people.forEach((p, a) => people.slice(a + 1).forEach((q) => {
      for (let i = 1; i <= p.images; i++) for (let j = 1; j <= q.images; j++) all.push([p, i, q, j]);
    }));
    for (const [p, i, q, j] of rng.sample(all, n)) add(p, i, q, j);
  } else {
    while (out.length < n) {
      const [p, q] = rng.sample(people, 2);
      add(p, 1 + rng.int(p.images), q, 1 + rng.int(q.images));
    }
  }
  return out.sort(byName);
}
