/**
 * How many images each synthetic person has: a fixed number for everyone, or LFW's skew (most people once, a
 * long tail to a few people with many).
 *
 * LFW: 5,749 people, 4,069 of them (70.8 %) with exactly one image; among the 1,680 with two or more, 158
 * (9.4 %) have ten or more and the mean is 5.45 images, which a power law P(k) ∝ k^-2.3 on 2..530 reproduces
 * (9.5 %, 5.6). The `lfw-like` distribution keeps LFW's share of one-image people exactly and gives the others a
 * power-law tail P(k | k ≥ 2) ∝ k^-exponent on 2..max. Its default exponent, 1 (Zipf's 1/k), is flatter than
 * LFW's 2.3 on purpose: a set a tenth of LFW's size with LFW's own tail has only a dozen people with ten or more
 * images, and a split's 15 % of the people would then hold too few same-person pairs (the default training run
 * asks 200 per held-out split). What the notebooks teach holds on it: most people have one image, a few have
 * dozens, and the people with many images hold a large share of all images.
 *
 * Counts are exact quantiles, not random draws: person i (in creation order) gets the count at quantile
 * u_i = frac(u_0 + i·(√5 − 1)/2), where u_0 comes from the seed. This golden-ratio sequence spreads every prefix
 * of the people evenly over [0, 1), so any number of people gets the intended histogram rather than a noisy
 * draw of it, and a person's count depends only on the seed, their index and the distribution: more people
 * keep everyone's count, and a larger `max` never lowers one (the quantile function only grows with `max`).
 */
import type { Rng } from '../../util/rng';

/** LFW's share of people with exactly one image: 4,069 of 5,749. */
export const LFW_SINGLE_SHARE = 4069 / 5749;

/** The `lfw-like` tail's default power, Zipf's 1/k: flatter than LFW's own (about 2.3), see the module comment. */
export const DEFAULT_TAIL_EXPONENT = 1;

/** LFW's skew: {@link LFW_SINGLE_SHARE} of the people have one image, the rest P(k) ∝ k^-exponent on 2..max. */
export interface LfwLikeImages {
  readonly kind: 'lfw-like';
  /** The most images one person can have (2..9999). */
  readonly max: number;
  /** The tail's power, 0..5 (default {@link DEFAULT_TAIL_EXPONENT}; LFW's own tail is about 2.3). */
  readonly exponent?: number;
}

/** Images per person: the same number for everyone (2..9999), or a skewed distribution. */
export type ImagesPerPerson = number | LfwLikeImages;

const GOLDEN = (Math.sqrt(5) - 1) / 2;

function bad(v: unknown, why: string): RangeError {
  return new RangeError(`synthetic set: perPerson ${why}, got ${JSON.stringify(v)}`);
}

/** Checks `v` and fills the defaults (`exponent`), so that equal distributions serialise equally. */
export function resolveImagesPerPerson(v: unknown): ImagesPerPerson {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 2 || v > 9999) throw bad(v, 'must be an integer in [2, 9999] or { kind: \'lfw-like\', max }');
    return v;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad(v, 'must be an integer in [2, 9999] or { kind: \'lfw-like\', max }');
  const o = v as Record<string, unknown>;
  if (o.kind !== 'lfw-like') throw bad(v, 'kind must be \'lfw-like\'');
  const unknown = Object.keys(o).filter((k) => !['kind', 'max', 'exponent'].includes(k));
  if (unknown.length) throw bad(v, `has unknown key ${JSON.stringify(unknown[0])} (known: kind, max, exponent)`);
  const max = o.max;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 2 || max > 9999) throw bad(v, 'max must be an integer in [2, 9999]');
  const exponent = o.exponent ?? DEFAULT_TAIL_EXPONENT;
  if (typeof exponent !== 'number' || !Number.isFinite(exponent) || exponent < 0 || exponent > 5) throw bad(v, 'exponent must be a number in [0, 5]');
  return { kind: 'lfw-like', max, exponent };
}

/** Whether two resolved distributions are the same. */
export function sameImagesPerPerson(a: ImagesPerPerson, b: ImagesPerPerson): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** P(count ≤ k) for k = 1..max. */
function cdf(d: LfwLikeImages): number[] {
  const s = d.exponent ?? DEFAULT_TAIL_EXPONENT;
  const tail: number[] = [];
  for (let k = 2; k <= d.max; k++) tail.push(k ** -s);
  const z = tail.reduce((a, b) => a + b, 0);
  const out = [LFW_SINGLE_SHARE];
  let c = LFW_SINGLE_SHARE;
  for (const w of tail) out.push((c += ((1 - LFW_SINGLE_SHARE) * w) / z));
  out[out.length - 1] = 1;
  return out;
}

/**
 * The image count of each of `people` people (index = creation order). `rng` (the set's `images` stream) is
 * read once, for the sequence's start; a fixed number ignores it.
 */
export function imageCounts(perPerson: ImagesPerPerson, people: number, rng: Rng): number[] {
  if (typeof perPerson === 'number') return new Array<number>(people).fill(perPerson);
  const c = cdf(perPerson);
  const u0 = rng.float();
  return Array.from({ length: people }, (_, i) => {
    const u = (u0 + i * GOLDEN) % 1;
    let k = 0;
    while (k < c.length - 1 && u >= c[k]) k++;
    return k + 1;
  });
}

/** A person's stratum: ⌊log2(images)⌋ (1 | 2–3 | 4–7 | 8–15 | ...). */
function band(images: number): number {
  return Math.floor(Math.log2(images));
}

/**
 * `order` stably regrouped by stratum, the people with most images first. With one stratum (everyone has the
 * same count) it is `order` unchanged.
 */
export function byStratum(order: readonly number[], counts: readonly number[]): number[] {
  return order.map((p, at) => ({ p, at, b: band(counts[p]) })).sort((x, y) => y.b - x.b || x.at - y.at).map((x) => x.p);
}

/**
 * `n` people of `order` (a random order of all of them) taken stratum by stratum in proportion to the strata's
 * sizes (largest remainder), each stratum's share from the front of `order`: a sample that gets its share of
 * people with many images, few and one. With one stratum it is `order.slice(0, n)`.
 */
export function stratifiedSample(order: readonly number[], counts: readonly number[], n: number): number[] {
  const strata = new Map<number, number[]>();
  for (const p of order) {
    const b = band(counts[p]);
    const list = strata.get(b);
    if (list) list.push(p);
    else strata.set(b, [p]);
  }
  const bands = [...strata.keys()].sort((a, b) => b - a);
  // integer arithmetic: stratum i's exact share is n·size_i / total
  const share = bands.map((b) => n * (strata.get(b) as number[]).length);
  const take = share.map((x) => Math.floor(x / order.length));
  let left = n - take.reduce((a, b) => a + b, 0);
  const byRemainder = share.map((x, i) => [x % order.length, i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  for (const [, i] of byRemainder) {
    if (left <= 0) break;
    take[i]++;
    left--;
  }
  return bands.flatMap((b, i) => (strata.get(b) as number[]).slice(0, take[i]));
}
