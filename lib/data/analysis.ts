/**
 * Dataset analysis with danfojs-node: DataFrames of people and images (size, channels, brightness,
 * per-channel means), the images-per-person distribution, the top people and pair-file summaries.
 *
 * The plain-object summaries (`datasetSummary`, `pairListSummary`) need no danfo and are what the CLI
 * prints; the `*Frame` functions wrap the same numbers as DataFrames for the notebooks.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import type * as Dfd from 'danfojs-node';

/** danfojs-node, loaded on first use: it takes seconds to import, and most users of lib/data never need it. */
function danfo(): typeof Dfd {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('danfojs-node') as typeof Dfd;
}
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import type { Rng } from '../util';
import { settleEach } from '../util/concurrency';
import type { Dataset } from './dataset';
import { findMissing } from './pairs';
import type { PairList } from './types';

/** Headline numbers of a dataset. */
export type DatasetSummary = {
  readonly root: string;
  readonly layout: string;
  readonly people: number;
  readonly images: number;
  /** People with 2+ images (the only ones that can form same-person pairs) and their images. */
  readonly peopleWith2Plus: number;
  readonly imagesOfPeopleWith2Plus: number;
  readonly peopleWith10Plus: number;
  readonly maxImages: number;
  readonly maxPerson: string;
  readonly skippedEntries: number;
};

/** Counts people and images (no decoding; instant even for LFW). */
export function datasetSummary(dataset: Dataset): DatasetSummary {
  const counts = dataset.people.map((p) => dataset.images(p).length);
  let maxAt = 0;
  counts.forEach((c, i) => { if (c > counts[maxAt]) maxAt = i; });
  return {
    root: dataset.root,
    layout: dataset.layout,
    people: dataset.numPeople,
    images: dataset.numImages,
    peopleWith2Plus: counts.filter((c) => c >= 2).length,
    imagesOfPeopleWith2Plus: counts.filter((c) => c >= 2).reduce((a, b) => a + b, 0),
    peopleWith10Plus: counts.filter((c) => c >= 10).length,
    maxImages: counts[maxAt] ?? 0,
    maxPerson: dataset.people[maxAt] ?? '',
    skippedEntries: dataset.problems.length,
  };
}

/** One row per person: `person`, `images`. */
export function peopleFrame(dataset: Dataset): Dfd.DataFrame {
  return new (danfo().DataFrame)(dataset.people.map((person) => ({ person, images: dataset.images(person).length })));
}

/** The `k` people with the most images (ties by name), as a DataFrame `person`, `images`. */
export function topPeople(dataset: Dataset, k = 10): Dfd.DataFrame {
  const rows = dataset.people.map((person) => ({ person, images: dataset.images(person).length }))
    .sort((a, b) => b.images - a.images || (a.person < b.person ? -1 : 1)).slice(0, k);
  return new (danfo().DataFrame)(rows);
}

/** How many people have each number of images: rows `imagesPerPerson`, `people`, ascending. */
export function imagesPerPersonDistribution(dataset: Dataset): { imagesPerPerson: number; people: number }[] {
  const hist = new Map<number, number>();
  for (const p of dataset.people) {
    const c = dataset.images(p).length;
    hist.set(c, (hist.get(c) ?? 0) + 1);
  }
  return [...hist].sort((a, b) => a[0] - b[0]).map(([imagesPerPerson, people]) => ({ imagesPerPerson, people }));
}

/** Per-image facts measured from the file (original size, not the decoded size). */
export type ImageStats = {
  readonly person: string;
  readonly file: string;
  readonly format: string;
  readonly bytes: number;
  readonly width: number;
  readonly height: number;
  /** Channels in the file (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA or CMYK). */
  readonly channels: number;
  /** Mean luma (0.299 R + 0.587 G + 0.114 B) in 0..255. */
  readonly brightness: number;
  readonly meanR: number;
  readonly meanG: number;
  readonly meanB: number;
};

/** Options for {@link imageStats}. */
export interface ImageStatsOptions {
  /** Measure at most this many images, sampled with `rng` (default: all). */
  readonly maxImages?: number;
  /** Needed when `maxImages` is below the dataset size. */
  readonly rng?: Rng;
  readonly concurrency?: number;
}

/** The mean of each of the first three channels of interleaved 8-bit pixels (one channel: its mean three times). */
export function channelMeans(data: Uint8Array, channels: number): [number, number, number] {
  if (channels < 1 || data.length % channels !== 0 || data.length === 0) throw new RangeError(`channelMeans: ${data.length} bytes are not whole pixels of ${channels} channel(s)`);
  const sums = new Float64Array(channels);
  for (let i = 0; i < data.length; i += channels) for (let c = 0; c < channels; c++) sums[c] += data[i + c];
  const n = data.length / channels;
  return channels >= 3 ? [sums[0] / n, sums[1] / n, sums[2] / n] : [sums[0] / n, sums[0] / n, sums[0] / n];
}

/**
 * Measures images (all, or a seeded sample). Files that cannot be read are returned in `errors` with the
 * reason, and everything else is still measured.
 */
export async function imageStats(dataset: Dataset, options: ImageStatsOptions = {}): Promise<{ rows: ImageStats[]; errors: { path: string; reason: string }[]; sampled: boolean }> {
  let refs = dataset.refs();
  const sampled = options.maxImages !== undefined && options.maxImages < refs.length;
  if (sampled) {
    if (!options.rng) throw new RangeError(`imageStats: sampling ${options.maxImages} of ${refs.length} images needs an rng`);
    refs = options.rng.sample(refs, options.maxImages!);
  }
  const settled = await settleEach(refs, options.concurrency ?? 4, async (ref): Promise<ImageStats> => {
    const file = dataset.path(ref);
    const img = sharp(file, { limitInputPixels: dataset.maxPixels, pages: 1, failOn: 'warning' });
    const meta = await img.metadata();
    const bytes = (await fs.stat(file)).size;
    // the channel means from the decoded pixels: sharp's stats() also computes entropy, sharpness and the dominant
    // colour, nine times the cost of the decode (9 ms against 1 for a 128 px JPEG)
    const { data, info } = await sharp(file, { limitInputPixels: dataset.maxPixels, pages: 1 }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const [r, g, b] = channelMeans(data, info.channels);
    return {
      person: ref.person, file: ref.file, format: meta.format ?? path.extname(file).slice(1), bytes,
      width: meta.width ?? 0, height: meta.height ?? 0, channels: meta.channels ?? 0,
      brightness: 0.299 * r + 0.587 * g + 0.114 * b, meanR: r, meanG: g, meanB: b,
    };
  });
  const rows = settled.flatMap((r) => (r.ok ? [r.value] : []));
  const errors = settled.flatMap((r, i) => (r.ok ? [] : [{ path: dataset.path(refs[i]), reason: r.error.message.split('\n')[0] }]));
  return { rows, errors, sampled };
}

/** {@link imageStats} as a DataFrame (one row per image). */
export function imageStatsFrame(rows: readonly ImageStats[]): Dfd.DataFrame {
  if (rows.length === 0) throw new RangeError('imageStatsFrame: no images measured');
  return new (danfo().DataFrame)(rows.map((r) => ({ ...r })));
}

/** Per-column summary (count, mean, std, min, median, max) of the numeric columns, as plain rows. */
export function describeRows(frame: Dfd.DataFrame): Record<string, string | number>[] {
  const numeric = frame.columns.filter((c) => frame.column(c).dtype !== 'string');
  return numeric.map((c) => {
    const s = frame.column(c);
    return { column: c, count: s.count(), mean: s.mean(), std: s.std(), min: s.min(), median: s.median(), max: s.max() };
  });
}

/** Headline numbers of a pair list (and how many pairs do not resolve in `dataset`, if given). */
export type PairListSummary = {
  readonly name: string;
  readonly pairs: number;
  readonly same: number;
  readonly different: number;
  readonly folds: number;
  readonly people: number;
  readonly images: number;
  readonly unresolved?: number;
};

/** Summarises a pair list. */
export function pairListSummary(list: PairList, dataset?: Dataset): PairListSummary {
  const people = new Set<string>();
  const images = new Set<string>();
  for (const p of list.pairs) {
    for (const r of [p.a, p.b]) {
      people.add(r.person);
      images.add(`${r.person}/${r.file}`);
    }
  }
  const same = list.pairs.filter((p) => p.isSame === 1).length;
  return {
    name: list.name, pairs: list.pairs.length, same, different: list.pairs.length - same, folds: list.numFolds,
    people: people.size, images: images.size,
    ...(dataset ? { unresolved: findMissing(list, dataset).length } : {}),
  };
}

/** Summaries of several pair lists as a DataFrame. */
export function pairSummaryFrame(lists: readonly PairList[], dataset?: Dataset): Dfd.DataFrame {
  return new (danfo().DataFrame)(lists.map((l) => ({ ...pairListSummary(l, dataset) })));
}

/** A DataFrame as plain rows (for `display.table` and JSON). */
export function frameRows(frame: Dfd.DataFrame): Record<string, unknown>[] {
  return danfo().toJSON(frame) as Record<string, unknown>[];
}
