/**
 * Person-disjoint train/val/test splits with balanced same/different pairs.
 *
 * People (not images) are assigned to splits, so no identity is seen in two splits. People with two or
 * more images (the only ones that can form a same-person pair) are shuffled and divided separately from
 * people with one image, so every split gets its share of both. Pairs are then sampled inside each split:
 * same-person pairs pick a person uniformly (so George_W_Bush's 530 images do not dominate), different-person
 * pairs pick two people uniformly; no pair repeats. Every split the lib makes or loads passes
 * {@link assertNoLeakage}. Splits are saved as JSON with the seed and config that made them, and a record of their
 * inputs ({@link SplitInputs}: the dataset's fingerprint, the pair files' hashes, the config and the seed), so a
 * saved split whose inputs changed is noticed and rebuilt rather than reused. Every command draws a split from
 * the same stream, {@link splitRng}: `siamese data split --seed 1` and `siamese train --split-seed 1` agree.
 *
 * @see notebooks/02-splitting.ipynb
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Rng } from '../util/rng';
import { settleEach } from '../util/concurrency';
import { writeFileAtomicSafe } from '../util/files';
import { canonicalName, legacyName, withAliases } from '../util/aliases';
import { stream } from '../util/streams';
import { refKey, type Dataset } from './dataset';
import { findMissing, makePairList, pairFilesFor, pairKey, PairFileError, validatePairs } from './pairs';
import type { ImageRef, IsSame, Pair, PairList } from './types';

/** The three splits. */
export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

/** How to split. JSON-serialisable. */
export interface SplitConfig {
  /** A preset's name, or 'custom'. */
  readonly preset: string;
  /** The share of people in each split (each in [0, 1], summing to 1). */
  readonly peopleFractions: Readonly<Record<SplitName, number>>;
  /** How many pairs to sample in each split. */
  readonly numPairs: Readonly<Record<SplitName, number>>;
  /** The share of same-person pairs (0.5 = balanced). */
  readonly sameFraction: number;
}

/** 70/15/15 % of people; 1000/200/200 balanced pairs. */
export const DEFAULT_SPLIT: Readonly<SplitConfig> = Object.freeze({
  preset: 'default',
  peopleFractions: { train: 0.7, val: 0.15, test: 0.15 },
  numPairs: { train: 1000, val: 200, test: 200 },
  sameFraction: 0.5,
});

/** Old split preset names → new ones (configs, `--preset` and saved split.json files may use either). */
export const SPLIT_PRESET_ALIASES: Readonly<Record<string, string>> = Object.freeze({ seed1: 'mnv3-notebook' });

/**
 * Named split configs; `mnv3-notebook` is the MobileNetV3 notebook's protocol (300 / 75 / 100 pairs,
 * person-disjoint). `seed1`, its old name, still works (a non-enumerable alias; see {@link SPLIT_PRESET_ALIASES}).
 */
export const SPLIT_PRESETS: Readonly<Record<string, Readonly<SplitConfig>>> = withAliases({
  default: DEFAULT_SPLIT,
  'mnv3-notebook': Object.freeze({
    preset: 'mnv3-notebook',
    // People in proportion to the pair counts (300 : 75 : 100).
    peopleFractions: { train: 0.64, val: 0.16, test: 0.2 },
    numPairs: { train: 300, val: 75, test: 100 },
    sameFraction: 0.5,
  }),
}, SPLIT_PRESET_ALIASES);

/** The current name of split preset `name` (an old name, also with `+custom`, becomes the new one). */
export function canonicalSplitPreset(name: string): string {
  const custom = name.endsWith('+custom');
  const base = custom ? name.slice(0, -'+custom'.length) : name;
  return `${canonicalName(base, SPLIT_PRESET_ALIASES)}${custom ? '+custom' : ''}`;
}

/** The old name of split preset `name` (with `+custom` kept), as run keys hash it; `name` when it has none. */
export function legacySplitPreset(name: string): string {
  const custom = name.endsWith('+custom');
  const base = custom ? name.slice(0, -'+custom'.length) : name;
  return `${legacyName(canonicalName(base, SPLIT_PRESET_ALIASES), SPLIT_PRESET_ALIASES)}${custom ? '+custom' : ''}`;
}

/** A partial config: fields override the preset's (default: 'default'). */
export type SplitConfigInput = Partial<Omit<SplitConfig, 'peopleFractions' | 'numPairs'>> & {
  readonly peopleFractions?: Partial<Record<SplitName, number>>;
  readonly numPairs?: Partial<Record<SplitName, number>>;
};

/**
 * Merges `partial` over its preset and checks it; errors name the bad value. An old preset name (`seed1`) gives
 * its new preset's values but keeps the name as given in `preset`: that label names random streams elsewhere
 * (face tuning's `split-<preset>-<seed>`), which must not change under a caller that still passes the old name.
 * Experiments rename it before it gets here (see `canonicalConfig` in lib/train/experiment.ts).
 */
export function resolveSplitConfig(partial: SplitConfigInput = {}): SplitConfig {
  const presetName = partial.preset ?? 'default';
  const base = Object.prototype.hasOwnProperty.call(SPLIT_PRESETS, presetName) ? SPLIT_PRESETS[presetName] : undefined;
  if (!base && (partial.peopleFractions === undefined || partial.numPairs === undefined)) {
    throw new RangeError(`unknown split preset ${JSON.stringify(presetName)}; known: ${Object.keys(SPLIT_PRESETS).join(', ')}`);
  }
  const fractions = { ...(base?.peopleFractions ?? {}), ...(partial.peopleFractions ?? {}) } as Record<SplitName, number>;
  const numPairs = { ...(base?.numPairs ?? {}), ...(partial.numPairs ?? {}) } as Record<SplitName, number>;
  for (const s of SPLIT_NAMES) {
    const f = fractions[s];
    if (typeof f !== 'number' || !Number.isFinite(f) || f < 0 || f > 1) throw new RangeError(`split peopleFractions.${s} must be a number in [0, 1], got ${JSON.stringify(f)}`);
    const n = numPairs[s];
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`split numPairs.${s} must be a non-negative integer, got ${JSON.stringify(n)}`);
    if (n > 0 && f === 0) throw new RangeError(`split ${s} asks for ${n} pairs but peopleFractions.${s} is 0`);
  }
  const sum = fractions.train + fractions.val + fractions.test;
  if (Math.abs(sum - 1) > 1e-6) throw new RangeError(`split peopleFractions must sum to 1, got ${JSON.stringify(fractions)} (sum ${sum})`);
  const sameFraction = partial.sameFraction ?? base?.sameFraction ?? 0.5;
  if (typeof sameFraction !== 'number' || !(sameFraction >= 0 && sameFraction <= 1)) throw new RangeError(`split sameFraction must be in [0, 1], got ${JSON.stringify(sameFraction)}`);
  const changed = base && (JSON.stringify(fractions) !== JSON.stringify(base.peopleFractions) ||
    JSON.stringify(numPairs) !== JSON.stringify(base.numPairs) || sameFraction !== base.sameFraction);
  return {
    preset: changed && !presetName.endsWith('+custom') ? `${presetName}+custom` : presetName,
    peopleFractions: { train: fractions.train, val: fractions.val, test: fractions.test },
    numPairs: { train: numPairs.train, val: numPairs.val, test: numPairs.test },
    sameFraction,
  };
}

/** A person-disjoint split: its people and pairs, and the seed, config and dataset that made it. */
export interface Split {
  readonly format: 'siamese-split/1';
  /** The rng seed path that made it (`rng.key`). */
  readonly seed: string;
  readonly config: SplitConfig;
  /** The dataset it was made from (for checking it is reused on the same data). */
  readonly dataset: { readonly root: string; readonly numPeople: number; readonly numImages: number };
  /** What it was made from, when recorded (splits saved before this field have none); see {@link splitInputs}. */
  readonly inputs?: SplitInputs;
  readonly people: Readonly<Record<SplitName, readonly string[]>>;
  readonly pairs: Readonly<Record<SplitName, readonly Pair[]>>;
}

/** How a split is drawn: sampled from the people (`split`), or taken from View 1's or one View 2 fold's pair files. */
export type SplitProtocol = 'split' | 'view1' | 'view2';

/**
 * Everything a split depends on. Two splits with equal inputs are equal; a saved split whose recorded inputs
 * differ from the current ones is stale (the dataset or a pair file changed since) and is rebuilt.
 */
export interface SplitInputs {
  /** {@link datasetFingerprint} of the dataset. */
  readonly dataset: string;
  readonly protocol: SplitProtocol;
  /** The resolved split config (protocol `split`; null for the pair-file protocols). */
  readonly config: SplitConfig | null;
  /** The rng seed path (`1/split`), or `view2/fold<k>`. */
  readonly seed: string;
  /** The pair files it was taken from (file name → SHA-256 prefix of its bytes); empty for protocol `split`. */
  readonly pairFiles: Readonly<Record<string, string>>;
}

/**
 * The random stream every split is drawn from, whichever command draws it (`siamese data split --seed`,
 * `siamese train --split-seed`, notebooks): the seed's `split` fork. It is the trainer's historical stream,
 * so runs saved before this function keep their splits and numbers.
 */
export function splitRng(seed: number | string): Rng {
  return stream(seed, 'split');
}

const fingerprints = new WeakMap<Dataset, Promise<string>>();

/**
 * The dataset's identity, independent of where it lies: a SHA-256 prefix (16 hex digits) of every image's
 * `person/file` name and size in bytes, in order. A re-encoded, added, removed or renamed image changes it;
 * copying the folder elsewhere does not. Computed once per {@link Dataset} object.
 */
export function datasetFingerprint(dataset: Dataset): Promise<string> {
  let fp = fingerprints.get(dataset);
  if (!fp) {
    fp = (async () => {
      const refs = dataset.refs();
      const settled = await settleEach(refs, 32, async (ref) => (await fs.stat(dataset.path(ref))).size);
      const failed = settled.findIndex((r) => !r.ok);
      if (failed >= 0) {
        const err = (settled[failed] as { error: NodeJS.ErrnoException }).error;
        throw new Error(`cannot fingerprint dataset ${dataset.root}: ${dataset.path(refs[failed])}: ${err.code ?? err.message}`);
      }
      const sizes = settled.map((r) => (r as { value: number }).value);
      const h = createHash('sha256');
      refs.forEach((r, i) => h.update(`${refKey(r)}\t${sizes[i]}\n`));
      return h.digest('hex').slice(0, 16);
    })();
    fingerprints.set(dataset, fp);
    fp.catch(() => fingerprints.delete(dataset));
  }
  return fp;
}

/** The pair files a protocol reads for `dataset` (none for `split`), each as file name → SHA-256 prefix of its bytes. */
export async function pairFileHashes(dataset: Dataset, protocol: SplitProtocol): Promise<Record<string, string>> {
  if (protocol === 'split') return {};
  const { files } = await pairFilesFor(dataset);
  const wanted = protocol === 'view1' ? ['pairsDevTrain.txt', 'pairsDevTest.txt'] : ['pairs.txt'];
  const out: Record<string, string> = {};
  for (const f of files.filter((x) => wanted.includes(path.basename(x)))) {
    out[path.basename(f)] = createHash('sha256').update(await fs.readFile(f)).digest('hex').slice(0, 16);
  }
  return out;
}

/** The inputs of the split `protocol` makes of `dataset` with `seed` (and `config` for protocol `split`). */
export async function splitInputs(dataset: Dataset, protocol: SplitProtocol, seed: string, config: SplitConfigInput | null = null): Promise<SplitInputs> {
  return {
    dataset: await datasetFingerprint(dataset),
    protocol,
    config: protocol === 'split' ? resolveSplitConfig(config ?? {}) : null,
    seed,
    pairFiles: await pairFileHashes(dataset, protocol),
  };
}

/** Which fields of `recorded` differ from `current` (all of them when nothing was recorded); empty when they match. */
export function staleInputs(recorded: SplitInputs | undefined, current: SplitInputs): string[] {
  const keys = Object.keys(current) as (keyof SplitInputs)[];
  if (!recorded) return ['none recorded'];
  // a split saved under a preset's old name was made from the same inputs as under its new one
  const [r, c] = [canonicalInputs(recorded), canonicalInputs(current)];
  return keys.filter((k) => JSON.stringify(r[k]) !== JSON.stringify(c[k]));
}

/** `inputs` with its split preset under its current name (old split.json files may record an old one). */
function canonicalInputs(inputs: SplitInputs): SplitInputs {
  const config = inputs.config;
  if (!config || typeof config.preset !== 'string') return inputs;
  return { ...inputs, config: { ...config, preset: canonicalSplitPreset(config.preset) } };
}

/** Divides `count` items by `fractions` (largest remainder; train takes the rest). */
function apportion(count: number, fractions: Readonly<Record<SplitName, number>>): Record<SplitName, number> {
  const raw = SPLIT_NAMES.map((s) => count * fractions[s]);
  const out = raw.map(Math.floor);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  let left = count - out.reduce((a, b) => a + b, 0);
  for (const [, i] of order) {
    if (left <= 0) break;
    if (fractions[SPLIT_NAMES[i]] > 0) { out[i]++; left--; }
  }
  return { train: out[0], val: out[1], test: out[2] };
}

/**
 * Samples `n` pairs among `people` of `dataset`: `round(n * sameFraction)` same-person pairs and the rest
 * different-person pairs, no pair twice, shuffled. Throws, saying how many are possible, when there are not
 * enough distinct pairs.
 *
 * @see notebooks/02-splitting.ipynb
 */
export function samplePairs(dataset: Dataset, people: readonly string[], n: number, rng: Rng, sameFraction = 0.5, label = 'pairs'): Pair[] {
  const nSame = Math.round(n * sameFraction);
  const nDiff = n - nSame;
  const multi = people.filter((p) => dataset.images(p).length >= 2);
  const sameCapacity = multi.reduce((acc, p) => { const k = dataset.images(p).length; return acc + (k * (k - 1)) / 2; }, 0);
  if (nSame > sameCapacity) {
    throw new RangeError(`${label}: asked for ${nSame} same-person pairs but its ${people.length} people (${multi.length} with 2+ images) allow only ${sameCapacity}; ask for fewer pairs or give this split more people`);
  }
  const sizes = people.map((p) => dataset.images(p).length);
  const total = sizes.reduce((a, b) => a + b, 0);
  const diffCapacity = (total * total - sizes.reduce((a, k) => a + k * k, 0)) / 2;
  if (nDiff > diffCapacity) {
    throw new RangeError(`${label}: asked for ${nDiff} different-person pairs but its ${people.length} people allow only ${diffCapacity}`);
  }
  const seen = new Set<string>();
  const out: Pair[] = [];
  const add = (a: ImageRef, b: ImageRef, isSame: IsSame): boolean => {
    const pair = { a, b, isSame };
    const key = pairKey(pair);
    if (seen.has(key)) return false;
    seen.add(key);
    out.push(pair);
    return true;
  };
  const sameRng = rng.fork('same');
  if (nSame > sameCapacity / 2) { // dense: enumerate every same pair and sample
    const all: [ImageRef, ImageRef][] = [];
    for (const p of multi) {
      const files = dataset.images(p);
      for (let i = 0; i < files.length; i++) for (let j = i + 1; j < files.length; j++) all.push([{ person: p, file: files[i] }, { person: p, file: files[j] }]);
    }
    for (const [a, b] of sameRng.sample(all, nSame)) add(a, b, 1);
  } else {
    while (out.length < nSame) {
      const p = sameRng.pick(multi);
      const [fa, fb] = sameRng.sample(dataset.images(p), 2);
      add({ person: p, file: fa }, { person: p, file: fb }, 1);
    }
  }
  const diffRng = rng.fork('different');
  let guard = 0;
  while (out.length < n) {
    if (++guard > 1000 * n + 10000) throw new RangeError(`${label}: could not find ${nDiff} distinct different-person pairs`);
    const [pa, pb] = diffRng.sample(people, 2);
    add({ person: pa, file: diffRng.pick(dataset.images(pa)) }, { person: pb, file: diffRng.pick(dataset.images(pb)) }, 0);
  }
  return rng.fork('order').shuffle(out);
}

/**
 * Makes a person-disjoint split of `dataset` with `rng` (its key is recorded as the seed), checks it for
 * leakage and returns it.
 *
 * @see notebooks/02-splitting.ipynb
 */
export function makeSplit(dataset: Dataset, rng: Rng, config: SplitConfigInput = {}): Split {
  const cfg = resolveSplitConfig(config);
  const peopleRng = rng.fork('people');
  const multi = peopleRng.shuffle(dataset.peopleWithAtLeast(2));
  const single = peopleRng.shuffle(dataset.people.filter((p) => dataset.images(p).length < 2));
  const people: Record<SplitName, string[]> = { train: [], val: [], test: [] };
  for (const group of [multi, single]) {
    const counts = apportion(group.length, cfg.peopleFractions);
    let at = 0;
    for (const s of SPLIT_NAMES) {
      people[s].push(...group.slice(at, at + counts[s]));
      at += counts[s];
    }
  }
  for (const s of SPLIT_NAMES) people[s].sort();
  const pairs = {} as Record<SplitName, Pair[]>;
  for (const s of SPLIT_NAMES) pairs[s] = samplePairs(dataset, people[s], cfg.numPairs[s], rng.fork(`pairs/${s}`), cfg.sameFraction, `split ${s}`);
  const split: Split = {
    format: 'siamese-split/1',
    seed: rng.key,
    config: cfg,
    dataset: { root: dataset.root, numPeople: dataset.numPeople, numImages: dataset.numImages },
    people,
    pairs,
  };
  assertNoLeakage(split);
  return split;
}

/** What {@link checkLeakage} found: empty lists mean no leakage. */
export interface LeakageReport {
  /** People listed in two or more splits, with the splits. */
  readonly sharedPeople: readonly { person: string; splits: SplitName[] }[];
  /** Images used by pairs of two or more splits. */
  readonly sharedImages: readonly { image: string; splits: SplitName[] }[];
  /** Pairs that use a person not assigned to their own split. */
  readonly foreignPairs: readonly { split: SplitName; index: number; person: string }[];
  /** What was compared, for the record. */
  readonly checked: { readonly people: number; readonly images: number; readonly pairs: number };
}

/** Compares every split with every other: people, images used by pairs, and pairs against their split's people. */
export function checkLeakage(split: Pick<Split, 'people' | 'pairs'>): LeakageReport {
  const personSplits = new Map<string, SplitName[]>();
  const imageSplits = new Map<string, SplitName[]>();
  const foreignPairs: { split: SplitName; index: number; person: string }[] = [];
  const note = (m: Map<string, SplitName[]>, k: string, s: SplitName): void => {
    const list = m.get(k);
    if (!list) m.set(k, [s]);
    else if (!list.includes(s)) list.push(s);
  };
  let pairs = 0;
  for (const s of SPLIT_NAMES) {
    const own = new Set(split.people[s]);
    for (const p of split.people[s]) note(personSplits, p, s);
    split.pairs[s].forEach((pair, index) => {
      pairs++;
      for (const r of [pair.a, pair.b]) {
        note(imageSplits, refKey(r), s);
        if (!own.has(r.person)) foreignPairs.push({ split: s, index, person: r.person });
      }
    });
  }
  return {
    sharedPeople: [...personSplits].filter(([, v]) => v.length > 1).map(([person, splits]) => ({ person, splits })),
    sharedImages: [...imageSplits].filter(([, v]) => v.length > 1).map(([image, splits]) => ({ image, splits })),
    foreignPairs,
    checked: { people: personSplits.size, images: imageSplits.size, pairs },
  };
}

/** Throws if any identity or image is in two splits, or any pair uses a person outside its split. */
export function assertNoLeakage(split: Pick<Split, 'people' | 'pairs'>): LeakageReport {
  const r = checkLeakage(split);
  const lines = [
    ...r.sharedPeople.map((x) => `person ${x.person} is in ${x.splits.join(' and ')}`),
    ...r.sharedImages.map((x) => `image ${x.image} is used by pairs in ${x.splits.join(' and ')}`),
    ...r.foreignPairs.map((x) => `${x.split} pair ${x.index + 1} uses ${x.person}, who is not a ${x.split} person`),
  ];
  if (lines.length) throw new Error(`split leaks between train/val/test (${lines.length} finding(s)):\n  ${lines.slice(0, 30).join('\n  ')}${lines.length > 30 ? `\n  ... and ${lines.length - 30} more` : ''}`);
  return r;
}

/** One split's pairs as a PairList named `split/<name>`. */
export function splitPairList(split: Split, name: SplitName): PairList {
  return makePairList(`split/${name}`, split.pairs[name]);
}

/** The split as JSON text: readable header, one pair per line. */
export function formatSplit(split: Split): string {
  const pairLines = (s: SplitName): string => split.pairs[s]
    .map((p) => `      ${JSON.stringify({ a: refKey(p.a), b: refKey(p.b), isSame: p.isSame })}`).join(',\n');
  const head = JSON.stringify({ format: split.format, seed: split.seed, config: split.config, dataset: split.dataset, inputs: split.inputs, people: split.people }, null, 2);
  return `${head.slice(0, -2)},\n  "pairs": {\n${SPLIT_NAMES.map((s) => `    "${s}": [\n${pairLines(s)}\n    ]`).join(',\n')}\n  }\n}\n`;
}

/** Writes a split as JSON (creating the folder). */
export async function saveSplit(split: Split, file: string): Promise<void> {
  writeFileAtomicSafe(path.resolve(file), [formatSplit(split)]);
}

/**
 * The 1-based line of each pair in a split file's text: exact for the layout {@link formatSplit} writes (one
 * pair a line); for a file laid out otherwise, the line of its `"pairs"` key (1 if none).
 */
function pairLines(text: string, split: Pick<Split, 'pairs'>): Record<SplitName, number[]> {
  const lines = text.split('\n');
  const pairsAt = Math.max(0, lines.findIndex((l) => /^\s*"pairs":/.test(l)));
  const out = {} as Record<SplitName, number[]>;
  for (const s of SPLIT_NAMES) {
    const start = lines.findIndex((l, i) => i > pairsAt && l.trim() === `"${s}": [`);
    const exact = start >= 0 && split.pairs[s].every((p, i) => (lines[start + 1 + i] ?? '').includes(JSON.stringify(refKey(p.a))));
    out[s] = split.pairs[s].map((_, i) => (exact ? start + 2 + i : pairsAt + 1));
  }
  return out;
}

function parseStoredRef(s: unknown, where: string): ImageRef {
  if (typeof s !== 'string' || s.split('/').length !== 2 || s.startsWith('/') || s.endsWith('/')) throw new Error(`${where}: image must be "Person/file", got ${JSON.stringify(s)}`);
  const [person, file] = s.split('/');
  return { person, file };
}

/**
 * Reads a split saved by {@link saveSplit}, checks its config and runs the leakage check; with `dataset`,
 * also checks that every pair resolves (all missing ones listed in one error).
 */
export async function loadSplit(file: string, dataset?: Dataset): Promise<Split> {
  let raw: unknown;
  let text = '';
  try {
    text = await fs.readFile(file, 'utf8');
    raw = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /at position (\d+)/.exec(message);
    const line = text.slice(0, at ? Number(at[1]) : text.length).split('\n').length;
    throw new Error(`cannot read split ${file}${text ? ` (line ${line})` : ''}: ${message}`);
  }
  const o = raw as Record<string, unknown>;
  if (!o || o.format !== 'siamese-split/1') throw new Error(`${file} is not a saved split (format ${JSON.stringify(o?.format)}, expected "siamese-split/1")`);
  const config = resolveSplitConfig(o.config as SplitConfigInput);
  const people = {} as Record<SplitName, string[]>;
  const pairs = {} as Record<SplitName, Pair[]>;
  const rawPeople = o.people as Record<string, unknown>;
  const rawPairs = o.pairs as Record<string, unknown>;
  for (const s of SPLIT_NAMES) {
    const ps = rawPeople?.[s];
    if (!Array.isArray(ps) || ps.some((p) => typeof p !== 'string')) throw new Error(`${file}: people.${s} must be a list of names`);
    people[s] = ps as string[];
    const list = rawPairs?.[s];
    if (!Array.isArray(list)) throw new Error(`${file}: pairs.${s} must be a list`);
    pairs[s] = list.map((p: { a?: unknown; b?: unknown; isSame?: unknown }, i) => {
      const where = `${file}: pairs.${s}[${i}]`;
      if (p?.isSame !== 0 && p?.isSame !== 1) throw new Error(`${where}: isSame must be 0 or 1, got ${JSON.stringify(p?.isSame)}`);
      return { a: parseStoredRef(p.a, where), b: parseStoredRef(p.b, where), isSame: p.isSame };
    });
  }
  const ds = o.dataset as Split['dataset'];
  const inputs = o.inputs;
  if (inputs !== undefined && (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs))) throw new Error(`${file}: inputs must be an object, got ${JSON.stringify(inputs)}`);
  const split: Split = { format: 'siamese-split/1', seed: String(o.seed), config, dataset: ds, ...(inputs ? { inputs: inputs as SplitInputs } : {}), people, pairs };
  assertNoLeakage(split);
  if (dataset) {
    const lines = pairLines(text, split);
    const issues = SPLIT_NAMES.flatMap((s) => findMissing({ ...splitPairList(split, s), sources: split.pairs[s].map((_, i) => ({ file, line: i })) }, dataset)
      .map((x) => ({ ...x, line: lines[s][x.line], message: `pairs.${s}[${x.line}]: ${x.message}` })));
    if (issues.length) throw new PairFileError(issues, `${issues.length} pair(s) of split ${file} do not resolve in dataset ${dataset.root}:`);
  }
  return split;
}

/**
 * LFW's View 1 as a split (the Siamese CNN reference's setup): the pairs of `pairsDevTrain` train, those of `pairsDevTest` test,
 * and a `valFraction` of the dev-train *people* (drawn with `rng`) is held out for validation, with the
 * dev-train pairs among them (pairs joining a validation and a training person are dropped). Works on any
 * dataset with View 1 files (LFW's shipped ones, or the synthetic set's own).
 *
 * @see notebooks/02-splitting.ipynb
 */
export async function makeView1Split(dataset: Dataset, rng: Rng, valFraction = 0.15): Promise<Split> {
  if (!(valFraction > 0 && valFraction < 1)) throw new RangeError(`view1 valFraction must be in (0, 1), got ${valFraction}`);
  const { lists, files } = await pairFilesFor(dataset);
  const find = (name: string): PairList => {
    const i = files.findIndex((f) => f.endsWith(`${name}.txt`));
    if (i < 0) throw new Error(`View 1 needs ${name}.txt beside ${dataset.root} or in data/lfw-meta; found ${files.join(', ')}`);
    return lists[i];
  };
  // every pair must resolve before anything is made of them: one error naming each bad line's file:line
  for (const name of ['pairsDevTrain', 'pairsDevTest']) validatePairs(find(name), dataset);
  const devTrain = find('pairsDevTrain').pairs;
  const devTest = find('pairsDevTest').pairs;
  const trainPeople = pairPeople(devTrain);
  const valPeople = new Set(rng.fork('people').sample(trainPeople, Math.max(1, Math.round(trainPeople.length * valFraction))));
  const inVal = (p: Pair) => valPeople.has(p.a.person) && valPeople.has(p.b.person);
  const inTrain = (p: Pair) => !valPeople.has(p.a.person) && !valPeople.has(p.b.person);
  const pairs = { train: devTrain.filter(inTrain), val: devTrain.filter(inVal), test: [...devTest] };
  const people = { train: trainPeople.filter((p) => !valPeople.has(p)), val: [...valPeople].sort(), test: pairPeople(devTest) };
  return pairFileSplit(dataset, 'view1', rng.key, people, pairs);
}

/**
 * One fold of LFW's View 2 (`pairs.txt`, 10 folds) as a split, for training a network per fold: the test fold's
 * pairs test, the next fold (`(fold + 1) mod k`) validates (best epoch, threshold), and the remaining folds'
 * pairs train. Only the given pairs are used (LFW's image-restricted setting), so nothing fitted ever sees the
 * test fold; View 2's folds share no person, which {@link assertNoLeakage} checks. Works on any dataset with a
 * `pairs.txt` (LFW's shipped one, or the synthetic set's own).
 *
 * @see notebooks/02-splitting.ipynb
 */
export async function makeView2FoldSplit(dataset: Dataset, fold: number): Promise<Split> {
  const list = await view2PairList(dataset);
  validatePairs(list, dataset);
  const ids = [...new Set(list.folds)].sort((a, b) => a - b);
  if (!Number.isInteger(fold) || !ids.includes(fold)) throw new RangeError(`View 2 fold must be one of ${ids.join(', ')} (0-based) in ${list.name}, got ${JSON.stringify(fold)}`);
  const valFold = view2ValidationFold(list.folds, fold);
  const pick = (keep: (f: number) => boolean): Pair[] => list.pairs.filter((_, k) => keep(list.folds[k]));
  const pairs = { train: pick((f) => f !== fold && f !== valFold), val: pick((f) => f === valFold), test: pick((f) => f === fold) };
  const people = { train: pairPeople(pairs.train), val: pairPeople(pairs.val), test: pairPeople(pairs.test) };
  return pairFileSplit(dataset, 'view2', `view2/fold${fold}`, people, pairs);
}

/**
 * The fold that validates a network tested on `fold`: the next fold id in order (wrapping around), so that
 * the split that trains it and the evaluation that calibrates its threshold agree.
 */
export function view2ValidationFold(folds: readonly number[], fold: number): number {
  const ids = [...new Set(folds)].sort((a, b) => a - b);
  return ids[(ids.indexOf(fold) + 1) % ids.length];
}

/** The people of `pairs`, sorted. */
function pairPeople(pairs: readonly Pair[]): string[] {
  return [...new Set(pairs.flatMap((p) => [p.a.person, p.b.person]))].sort();
}

/**
 * A split whose pairs come from pair files (View 1, a View 2 fold) rather than sampling: its config records
 * the people fractions and pair counts it ended up with, and it is leak-checked like every split.
 */
function pairFileSplit(dataset: Dataset, preset: string, seed: string, people: Split['people'], pairs: Split['pairs']): Split {
  const total = people.train.length + people.val.length + people.test.length;
  const split: Split = {
    format: 'siamese-split/1',
    seed,
    config: {
      preset,
      peopleFractions: { train: people.train.length / total, val: people.val.length / total, test: people.test.length / total },
      numPairs: { train: pairs.train.length, val: pairs.val.length, test: pairs.test.length },
      sameFraction: 0.5,
    },
    dataset: { root: dataset.root, numPeople: dataset.numPeople, numImages: dataset.numImages },
    people,
    pairs,
  };
  assertNoLeakage(split);
  return split;
}

/** The View 2 pair list that goes with `dataset` (its own `pairs.txt`, or LFW's shipped one), named by its file. */
export async function view2PairList(dataset: Dataset): Promise<PairList> {
  const { lists, files } = await pairFilesFor(dataset);
  const i = files.findIndex((f) => path.basename(f) === 'pairs.txt');
  if (i < 0) throw new Error(`View 2 needs pairs.txt beside ${dataset.root} or in data/lfw-meta; found ${files.join(', ')}`);
  return { ...lists[i], name: files[i] };
}
