/**
 * A seeded, forkable pseudo-random number generator.
 *
 * Every function in the project that samples (pairs, shuffles, splits, augmentation, initialisers,
 * dropout masks) takes an `Rng` instead of calling `Math.random`. Named child streams come from
 * `rng.fork('pairs')`: a fork depends only on the parent's seed path and the name, never on how many
 * numbers the parent has drawn, so adding a draw in one place does not change the numbers elsewhere.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state), seeded
 * from a string hash. Its whole state is four 32-bit words plus the seed path, so it serialises to a
 * small JSON object (`getState` / `Rng.fromState`) and a resumed run continues the same stream.
 *
 * @see notebooks/00-environment.ipynb
 */

/** The JSON-serialisable state of an {@link Rng}. */
export interface RngState {
  /** The seed path, e.g. `"42/split/pairs"`. */
  readonly key: string;
  /** The four 32-bit words of sfc32's state. */
  readonly s: readonly [number, number, number, number];
}

/** Hashes a string to four well-mixed 32-bit words (a murmur3-style mix, one pass per lane). */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 0x6a09e667, h2 = 0xbb67ae85, h3 = 0x3c6ef372, h4 = 0xa54ff53a;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ c, 0x85ebca6b);
    h2 = h3 ^ Math.imul(h2 ^ c, 0xc2b2ae35);
    h3 = h4 ^ Math.imul(h3 ^ c, 0x27d4eb2f);
    h4 = h1 ^ Math.imul(h4 ^ c, 0x165667b1);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 16), 0x85ebca6b);
  h2 = Math.imul(h4 ^ (h2 >>> 13), 0xc2b2ae35);
  h3 = Math.imul(h1 ^ (h3 >>> 16), 0x27d4eb2f);
  h4 = Math.imul(h2 ^ (h4 >>> 13), 0x165667b1);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  /** The seed path; forks append `/name`. */
  readonly key: string;

  /**
   * @param seed a number or string; the same seed always gives the same stream.
   */
  constructor(seed: number | string) {
    if (typeof seed === 'number' && !Number.isFinite(seed)) {
      throw new RangeError(`Rng seed must be a finite number or a string, got ${seed}`);
    }
    this.key = String(seed);
    [this.a, this.b, this.c, this.d] = hash128(this.key);
    // Discard the first outputs: sfc32 needs a few rounds to mix a hashed seed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Restores a generator exactly where `getState()` left it. */
  static fromState(state: RngState): Rng {
    if (!state || typeof state.key !== 'string' || !Array.isArray(state.s) || state.s.length !== 4 ||
        state.s.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new TypeError(`Not an Rng state: ${JSON.stringify(state)}`);
    }
    const rng = new Rng(state.key);
    [rng.a, rng.b, rng.c, rng.d] = state.s;
    return rng;
  }

  /** The full state as plain JSON data. */
  getState(): RngState {
    return { key: this.key, s: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0] };
  }

  /** An independent child stream named `name`; the same (seed, name) always gives the same child. */
  fork(name: string): Rng {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('Rng.fork needs a non-empty name');
    return new Rng(`${this.key}/${name}`);
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** An integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new RangeError(`Rng.int needs an integer n in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.float() < p;
  }

  /** A standard normal sample (Marsaglia's polar method). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return mean + std * u * m;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick from an empty array');
    return items[this.int(items.length)];
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A shuffled copy; the input is untouched. */
  shuffled<T>(items: readonly T[]): T[] {
    return this.shuffle(items.slice());
  }

  /** `k` distinct elements, in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    if (!Number.isInteger(k) || k < 0 || k > items.length) {
      throw new RangeError(`Rng.sample: cannot draw ${k} of ${items.length} items`);
    }
    const copy = items.slice();
    for (let i = 0; i < k; i++) {
      const j = i + this.int(copy.length - i);
      const tmp = copy[i];
      copy[i] = copy[j];
      copy[j] = tmp;
    }
    return copy.slice(0, k);
  }

  /** A seed for a tfjs initializer or random op (a non-negative 31-bit integer). */
  seed(): number {
    return this.nextUint32() >>> 1;
  }
}

/** Shorthand for `new Rng(seed)`. */
export function createRng(seed: number | string): Rng {
  return new Rng(seed);
}
