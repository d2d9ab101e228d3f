/**
 * Identity sampling: training pairs drawn fresh each epoch from the training *people* rather than from a fixed
 * pair list, so training uses every image LFW gives for them. Two kinds:
 *
 * - `identityPairs`: balanced same/different pairs. Same-person pairs go through every training person with two
 *   or more images in a fresh random order (each person once before any repeats; all of them in an epoch whose
 *   same-person pairs number at least the people), two distinct images each. Different-person pairs go through
 *   every training person the same way, single-image people included, each against another person drawn
 *   uniformly. The epoch is then shuffled.
 * - `identityPK`: batches of P identities × K images (Hermans et al. 2017), for batch-hard triplet loss (or
 *   contrastive over every pair of the batch). Each batch holds P distinct people with two or more images,
 *   taken in a fresh random order (every such person once per pass, every pass complete when the epoch is long
 *   enough), with K images each: K distinct ones when the person has that many, else all of theirs and the rest
 *   drawn again (augmentation makes the copies differ). With `negatives: S`, S more people join each batch with one
 *   image each, drawn in passes over every training person not among the batch's P, single-image people included:
 *   they are nobody's positive, only negatives. The batch's P·K + S images travel as pairs (images 2j and 2j+1 of
 *   the batch), so the pair pipeline, its worker, augmentation and resume carry them unchanged; a loss on
 *   embeddings labels each image by its person.
 *
 * Epoch e depends only on the seed, e and the people: it is drawn from `stream(seed, 'identity').fork('epoch-<e>')`
 * (lib/util/streams.ts), so a resumed run draws exactly the batches an uninterrupted one would.
 * Person-disjointness holds by construction (only the training people are ever drawn) and is asserted: the
 * sampler refuses training people who are also validation or test people, and checks every epoch it draws.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import { hash128, type Rng } from '../util/rng';
import { stream } from '../util/streams';
import type { Dataset } from '../data/dataset';
import type { ImageRef, Pair } from '../data/types';

/** How training pairs are drawn from the training people; see the module comment. JSON data. */
export type IdentitySampling =
  | {
    readonly name: 'identityPairs';
    /** Pairs per epoch (default: as many as the split's fixed training pair list, so an epoch costs the same). */
    readonly pairsPerEpoch?: number;
    /** The share of same-person pairs (default 0.5: balanced). */
    readonly sameFraction?: number;
  }
  | {
    readonly name: 'identityPK';
    /** K, images per identity in a batch (default 4); P = (2·batchSize − negatives) / K identities. */
    readonly perPerson?: number;
    /** S, extra people per batch with one image each, only as negatives (default 0; even). */
    readonly negatives?: number;
    /** Batches per epoch (default: the fixed list's number of batches, and at least one pass over the people). */
    readonly batchesPerEpoch?: number;
  };

export const IDENTITY_SAMPLINGS = ['identityPairs', 'identityPK'] as const;

/** K when a config leaves it out. */
export const DEFAULT_PER_PERSON = 4;

/** An {@link IdentitySampling} with every field decided. */
export type ResolvedIdentitySampling =
  | { readonly name: 'identityPairs'; readonly pairsPerEpoch: number; readonly sameFraction: number }
  | { readonly name: 'identityPK'; readonly perPerson: number; readonly negatives: number; readonly identities: number; readonly batchesPerEpoch: number };

export interface IdentitySamplerOptions {
  /** The training seed: epoch e is drawn from `stream(seed, 'identity').fork('epoch-<e>')`. */
  readonly seed: number;
  /** Pairs per batch (a P×K batch is P·K images, P·K/2 pairs). */
  readonly batchSize: number;
  /** The validation and test people: none of them may be a training person. */
  readonly heldOut: readonly string[];
  /** The epoch length when the config gives none: the fixed training pair list's length. */
  readonly defaultPairsPerEpoch: number;
  /** Says where the config came from in errors (default "sampling"). */
  readonly source?: string;
}

/** Checks the shape-independent ranges of a sampling config and the batch size it is used with; errors name the field. */
export function checkIdentitySampling(sampling: IdentitySampling, batchSize: number, source = 'sampling'): void {
  const bad = (field: string, what: string, value: unknown): RangeError =>
    new RangeError(`${source}: "sampling.${field}" must be ${what}, got ${JSON.stringify(value)}`);
  if (!IDENTITY_SAMPLINGS.includes(sampling.name)) throw bad('name', `one of ${IDENTITY_SAMPLINGS.join(', ')}`, sampling.name);
  if (sampling.name === 'identityPairs') {
    const { pairsPerEpoch, sameFraction } = sampling;
    if (pairsPerEpoch !== undefined && !(Number.isInteger(pairsPerEpoch) && pairsPerEpoch >= batchSize)) {
      throw bad('pairsPerEpoch', `an integer >= batchSize (${batchSize}), so an epoch makes at least one batch`, pairsPerEpoch);
    }
    if (sameFraction !== undefined && !(typeof sameFraction === 'number' && sameFraction > 0 && sameFraction < 1)) {
      throw bad('sameFraction', 'a number strictly between 0 and 1 (a batch needs both kinds of pair)', sameFraction);
    }
    return;
  }
  const k = sampling.perPerson ?? DEFAULT_PER_PERSON;
  if (!(Number.isInteger(k) && k >= 2)) throw bad('perPerson', 'an integer >= 2 (an anchor needs a positive)', sampling.perPerson);
  const s = sampling.negatives ?? 0;
  if (!(Number.isInteger(s) && s >= 0 && s % 2 === 0 && s < 2 * batchSize)) {
    throw bad('negatives', `an even integer in [0, ${2 * batchSize}) (images travel in pairs; the batch has ${2 * batchSize} images)`, sampling.negatives);
  }
  const slots = 2 * batchSize - s;
  if (slots % k !== 0) {
    throw new RangeError(`${source}: "sampling.perPerson" (${k}) must divide the batch's ${slots} identity images (2 × batchSize ${batchSize}${s ? ` − negatives ${s}` : ''}): ` +
      `a P×K batch holds P identities of K images each; try perPerson ${[2, 4, 8].filter((x) => slots % x === 0).join(' or ') || 2}`);
  }
  if (slots / k < 2) {
    throw new RangeError(`${source}: batchSize ${batchSize} with "sampling.perPerson" ${k} gives ${slots / k} identity per batch; a triplet needs a negative, so at least 2 (raise batchSize or lower perPerson)`);
  }
  const b = sampling.batchesPerEpoch;
  if (b !== undefined && !(Number.isInteger(b) && b >= 1)) throw bad('batchesPerEpoch', 'an integer >= 1', b);
}

/** Draws `count` items from `items` in passes: each pass a fresh permutation (`rng.fork('pass-<k>')`), each item once per pass. */
function passes<T>(items: readonly T[], count: number, rng: Rng): T[] {
  const out: T[] = [];
  for (let k = 0; out.length < count; k++) out.push(...rng.fork(`pass-${k}`).shuffled(items).slice(0, count - out.length));
  return out;
}

/**
 * {@link passes} drawn lazily, a batch at a time: `take(n, taken)` gives n items not in `taken` (and adds them to
 * it). One a batch already holds, which only a pass boundary can bring, waits for the next batch.
 */
class PassStream {
  private pass: string[] = [];
  private at = 0;
  private k = 0;
  private readonly deferred: string[] = [];

  constructor(private readonly items: readonly string[], private readonly rng: Rng) {}

  private next(): string {
    if (this.at === this.pass.length) {
      this.pass = this.rng.fork(`pass-${this.k++}`).shuffled(this.items);
      this.at = 0;
    }
    return this.pass[this.at++];
  }

  take(n: number, taken: Set<string>): string[] {
    const out: string[] = [];
    const queue = this.deferred.splice(0);
    for (let guard = 0; out.length < n; guard++) {
      if (guard > 4 * (n + this.items.length) + queue.length) throw new Error(`identity sampler: cannot draw ${n} people not already in the batch; this is a bug`);
      const p = queue.length ? queue.shift()! : this.next();
      if (taken.has(p)) this.deferred.push(p);
      else { taken.add(p); out.push(p); }
    }
    this.deferred.push(...queue);
    return out;
  }
}

/**
 * Draws training pairs or P×K batches from the training people of a dataset; see the module comment. Create one
 * per run; `epoch(e)` is a pure function of the seed, e and the people.
 */
export class IdentitySampler {
  readonly config: ResolvedIdentitySampling;
  /** The training people, sorted. */
  readonly people: readonly string[];
  /** Those with two or more images: the ones that give positives. */
  readonly multi: readonly string[];
  readonly batchSize: number;
  readonly seed: number;
  /** Pairs in every epoch. */
  readonly pairsPerEpoch: number;
  private readonly trainSet: ReadonlySet<string>;
  private readonly images = new Map<string, readonly string[]>();
  private readonly index = new Map<string, number>();
  private readonly id: string;

  constructor(dataset: Dataset, people: readonly string[], sampling: IdentitySampling, options: IdentitySamplerOptions) {
    const source = options.source ?? 'sampling';
    const { batchSize, seed } = options;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`${source}: batchSize must be an integer >= 1, got ${batchSize}`);
    checkIdentitySampling(sampling, batchSize, source);
    this.people = [...new Set(people)].sort();
    const missing = this.people.filter((p) => !dataset.hasPerson(p));
    if (missing.length) throw new RangeError(`${source}: ${missing.length} training people are not in dataset ${dataset.root}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
    this.trainSet = new Set(this.people);
    const leaked = [...new Set(options.heldOut)].filter((p) => this.trainSet.has(p)).sort();
    if (leaked.length) {
      throw new Error(`${source}: identity sampling would leak: ${leaked.length} training people are also validation/test people ` +
        `(${leaked.slice(0, 5).join(', ')}${leaked.length > 5 ? ', ...' : ''}); the split is not person-disjoint`);
    }
    this.people.forEach((p, i) => {
      this.images.set(p, dataset.images(p));
      this.index.set(p, i);
    });
    this.multi = this.people.filter((p) => this.images.get(p)!.length >= 2);
    this.batchSize = batchSize;
    this.seed = seed;
    if (sampling.name === 'identityPairs') {
      if (this.multi.length < 1 || this.people.length < 2) {
        throw new RangeError(`${source}: identityPairs needs a training person with 2+ images (for same-person pairs) and 2+ people; ` +
          `the training split has ${this.people.length} people, ${this.multi.length} with 2+ images`);
      }
      const pairsPerEpoch = sampling.pairsPerEpoch ?? Math.max(batchSize, options.defaultPairsPerEpoch);
      this.config = { name: 'identityPairs', pairsPerEpoch, sameFraction: sampling.sameFraction ?? 0.5 };
      this.pairsPerEpoch = pairsPerEpoch;
    } else {
      const perPerson = sampling.perPerson ?? DEFAULT_PER_PERSON;
      const negatives = sampling.negatives ?? 0;
      const identities = (2 * batchSize - negatives) / perPerson;
      if (identities > this.multi.length) {
        throw new RangeError(`${source}: P×K batches of ${identities} identities × ${perPerson} images need ${identities} training people with 2+ images; ` +
          `the training split has ${this.multi.length}: lower batchSize or raise sampling.perPerson`);
      }
      if (identities + negatives > this.people.length) {
        throw new RangeError(`${source}: batches of ${identities} identities and ${negatives} more people as negatives need ${identities + negatives} training people; ` +
          `the training split has ${this.people.length}: lower sampling.negatives`);
      }
      const batchesPerEpoch = sampling.batchesPerEpoch ??
        Math.max(Math.ceil(this.multi.length / identities), Math.floor(options.defaultPairsPerEpoch / batchSize));
      this.config = { name: 'identityPK', perPerson, negatives, identities, batchesPerEpoch };
      this.pairsPerEpoch = batchesPerEpoch * batchSize;
    }
    const h = hash128(JSON.stringify({ config: this.config, batchSize, people: this.people.map((p) => `${p}:${this.images.get(p)!.length}`) }));
    this.id = h.map((w) => w.toString(16).padStart(8, '0')).join('');
  }

  /** A hash of what the epochs are drawn from (config, batch size, people and their image counts): a resumed pipeline must match it. */
  hash(): string {
    return this.id;
  }

  private ref(person: string, file: string): ImageRef {
    return { person, file };
  }

  /** Epoch `e`'s pairs, in training order (for `identityPK`, each run of `batchSize` pairs is one P×K batch). */
  epoch(e: number): Pair[] {
    if (!(Number.isInteger(e) && e >= 0)) throw new RangeError(`identity sampler: epoch must be an integer >= 0, got ${e}`);
    const rng = stream(this.seed, 'identity').fork(`epoch-${e}`);
    const pairs = this.config.name === 'identityPairs' ? this.pairsEpoch(rng, this.config) : this.pkEpoch(rng, this.config);
    for (const p of pairs) {
      if (!this.trainSet.has(p.a.person) || !this.trainSet.has(p.b.person)) {
        throw new Error(`identity sampler: epoch ${e} drew ${p.a.person}/${p.b.person}, not a training person; this is a bug`);
      }
    }
    return pairs;
  }

  private pairsEpoch(rng: Rng, c: Extract<ResolvedIdentitySampling, { name: 'identityPairs' }>): Pair[] {
    const nSame = Math.max(1, Math.min(c.pairsPerEpoch - 1, Math.round(c.pairsPerEpoch * c.sameFraction)));
    const nDiff = c.pairsPerEpoch - nSame;
    const out: Pair[] = [];
    const sameRng = rng.fork('same');
    for (const p of passes(this.multi, nSame, sameRng.fork('people'))) {
      const [fa, fb] = sameRng.sample(this.images.get(p)!, 2);
      out.push({ a: this.ref(p, fa), b: this.ref(p, fb), isSame: 1 });
    }
    const diffRng = rng.fork('different');
    const n = this.people.length;
    for (const p of passes(this.people, nDiff, diffRng.fork('people'))) {
      let j = diffRng.int(n - 1);
      if (j >= this.index.get(p)!) j++;
      const q = this.people[j];
      out.push({ a: this.ref(p, diffRng.pick(this.images.get(p)!)), b: this.ref(q, diffRng.pick(this.images.get(q)!)), isSame: 0 });
    }
    return rng.fork('order').shuffle(out);
  }

  private pkEpoch(rng: Rng, c: Extract<ResolvedIdentitySampling, { name: 'identityPK' }>): Pair[] {
    const { identities: P, perPerson: K, negatives: S, batchesPerEpoch: B } = c;
    const identities = new PassStream(this.multi, rng.fork('people'));
    const negatives = new PassStream(this.people, rng.fork('negatives'));
    const imageRng = rng.fork('images');
    const out: Pair[] = [];
    for (let b = 0; b < B; b++) {
      const taken = new Set<string>();
      const refs: ImageRef[] = [];
      for (const p of identities.take(P, taken)) {
        const files = this.images.get(p)!;
        const picked = files.length >= K ? imageRng.sample(files, K)
          : [...imageRng.shuffled(files), ...Array.from({ length: K - files.length }, () => imageRng.pick(files))];
        refs.push(...picked.map((f) => this.ref(p, f)));
      }
      if (S > 0) for (const p of negatives.take(S, taken)) refs.push(this.ref(p, imageRng.pick(this.images.get(p)!)));
      for (let j = 0; j < refs.length; j += 2) out.push({ a: refs[j], b: refs[j + 1], isSame: refs[j].person === refs[j + 1].person ? 1 : 0 });
    }
    return out;
  }

  /** A one-line description for logs and notebooks. */
  describe(): string {
    const c = this.config;
    const who = `${this.people.length} training people (${this.multi.length} with 2+ images)`;
    return c.name === 'identityPairs'
      ? `identity-sampled pairs: ${c.pairsPerEpoch} fresh pairs per epoch (${Math.round(c.sameFraction * 100)} % same person) from ${who}`
      : `P×K batches: ${c.identities} identities × ${c.perPerson} images${c.negatives ? ` + ${c.negatives} more people as negatives` : ''}, ${c.batchesPerEpoch} batches per epoch from ${who}`;
  }
}
