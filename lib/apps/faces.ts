/**
 * Faces for the applications: which model embeds them (`face-api`, or a network the project trained, with
 * the threshold fitted on its validation pairs), folders of photos turned into embeddings through the same
 * {@link Verifier} as `siamese verify` (detection and alignment, or `aligned` crops), and the held-out
 * people of a training run embedded before and after training.
 *
 * @see notebooks/08-applications.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Dataset, IMAGE_EXTENSIONS, refKey } from '../data/dataset';
import { openData } from '../data/resolve';
import { loadSplit, type Split } from '../data/split';
import type { ImageRef, Pair } from '../data/types';
import { embedDataset, pairImages } from '../faces/embed-dataset';
import type { EmbeddingRecord } from '../faces/embedding-cache';
import { bestThreshold } from '../eval/threshold';
import { trainedEmbedder } from '../faces/trained-embedder';
import { VERIFY_MODELS, Verifier, type VerifierOptions } from '../faces/verify';
import type { FaceCrop } from '../faces/prepare-face';
import { buildEmbedding } from '../models/build';
import { loadModel } from '../models/save-load';
import type { FaceEmbedder } from '../faces/face-embedder';
import { siamese } from '../models/siamese';
import { readRunResult, resolveExperiment, runDir, type ExperimentResult, type ResolvedExperiment } from '../train/experiment';
import { EXPERIMENT_PRESETS, experimentPreset } from '../train/presets';
import { metricOf } from './metric';
import { GalleryIndex } from './retrieval';

/** The models search and clustering accept: face-api (photos) or a trained preset with a finished run. */
export function faceModelNames(): string[] {
  return [...Object.keys(VERIFY_MODELS), ...Object.keys(EXPERIMENT_PRESETS)];
}

/**
 * A {@link Verifier} for `model`: one of `VERIFY_MODELS` (face-api-tuned, face-api; threshold from lib/faces/verify-threshold.json),
 * or the name of a training preset whose run has finished (`siamese train --preset <name>`), used with the
 * threshold fitted on that run's validation pairs. A trained network knows only the aligned crops it was
 * trained on, so it needs `aligned`; and it must compare embeddings by a distance (a Euclidean head).
 */
export async function openFaceModel(model: string, options: Omit<VerifierOptions, 'model'> & { runsDir?: string } = {}): Promise<Verifier> {
  if (VERIFY_MODELS[model]) return Verifier.create({ ...options, model });
  if (!EXPERIMENT_PRESETS[model]) throw new RangeError(`unknown model ${JSON.stringify(model)}; available: ${faceModelNames().join(', ')}`);
  const experiment = resolveExperiment(experimentPreset(model));
  const { config } = experiment;
  if (config.head !== 'euclidean') {
    throw new Error(`model mismatch: ${model} compares pairs with a ${config.head} head, not a Euclidean distance between embeddings; search and clustering need a distance model (e.g. default)`);
  }
  // the preset's run on the data it trains on now (the run key names the data: LFW_DIR, --dir, LFW, synthetic)
  const { dataset } = await openData({ dir: config.data.dir ?? undefined, log: null, cache: null });
  const dir = await runDir(config, dataset, options.runsDir);
  const result = readRunResult(dir);
  if (!result) throw new Error(`model ${model}: no finished training run on the data at ${dataset.root} (expected in ${dir}); train it first with \`siamese train --preset ${model}\``);
  if (!options.aligned) {
    throw new Error(`model mismatch: ${model} was trained on aligned face crops (${result.data.source} data), not on photos; pass --aligned with crops like those (e.g. the synthetic faces), or use --model face-api for photos`);
  }
  const net = await loadModel(path.join(dir, 'model'));
  const embedder = trainedEmbedder(net, experiment.preprocessing, model);
  return Verifier.fromEmbedder(embedder, {
    threshold: result.test.threshold, uncertainBand: 0, higherIsCloser: false,
    fittedOn: `the validation pairs of run ${path.basename(dir)} (${result.data.source} data)`, command: `siamese train --preset ${model}`,
  }, options);
}

/** One photo of a folder; `person` is its identity folder, or null for a loose photo. */
export interface FolderFace {
  readonly path: string;
  readonly person: string | null;
}

/**
 * The photos of `dir`: in identity folders (`dir/<person>/*.jpg`, labelled) and loose in `dir` itself
 * (unlabelled). Throws naming the folder when it is missing or holds no image; `problems` lists what the
 * scan skipped.
 */
export async function readFaceFolder(dir: string): Promise<{ faces: FolderFace[]; problems: string[] }> {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new Error(`${abs}: no such folder`);
  const ds = await Dataset.open(abs, { cache: null, allowEmpty: true });
  const loose = fs.readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.') && IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase()))
    .map((e) => e.name).sort();
  const faces: FolderFace[] = [
    ...ds.refs().map((r) => ({ path: ds.path(r), person: r.person })),
    ...loose.map((f) => ({ path: path.join(abs, f), person: null })),
  ];
  if (faces.length === 0) throw new Error(`${abs} holds no images (expected ${abs}/<person>/*.jpg or photos directly in it)`);
  return { faces, problems: ds.problems.map((p) => `${path.join(abs, p.path)}: ${p.reason}`) };
}

/** A photo embedded (or not: `status` says why). */
export interface EmbeddedFolderFace extends FolderFace {
  readonly embedding?: readonly number[];
  /** The crop the model saw (for grids). */
  readonly crop?: { readonly data: Uint8Array; readonly width: number; readonly height: number; readonly channels: 1 | 3 | 4 };
  readonly note: string;
}

/**
 * Prepares and embeds each photo with `verifier` (detect + align, or as given with `aligned`; in batches, as
 * `siamese verify`'s folder mode does). Photos that cannot be read or have no face are kept out of `embedded`
 * and listed in `skipped` with the reason; the others are still embedded. `warnings` lists what may make a
 * photo's placement unreliable (e.g. it was transparent), each naming the file.
 */
export async function embedFaces(verifier: Verifier, faces: readonly FolderFace[]): Promise<{ embedded: EmbeddedFolderFace[]; skipped: string[]; warnings: string[] }> {
  const embedded: EmbeddedFolderFace[] = [];
  const skipped: string[] = [];
  const warnings: string[] = [];
  (await verifier.embedEach(faces.map((f) => f.path))).forEach((r, i) => {
    const f = faces[i];
    if (r.status === 'rejected') skipped.push(`${f.path}: ${(r.reason as Error).message}`);
    else if (!r.value.embedding) skipped.push(`${f.path}: ${r.value.note}${verifier.aligned || r.value.status === 'not-a-face' ? '' : ' (use --aligned if the images are already face crops)'}`);
    else {
      embedded.push({ ...f, embedding: r.value.embedding, crop: r.value.crop as EmbeddedFolderFace['crop'], note: r.value.note });
      warnings.push(...r.value.warnings);
    }
  });
  return { embedded, skipped, warnings };
}

/** The person-disjoint split a run trained with (its saved split.json). */
export async function runSplit(result: Pick<ExperimentResult, 'dir'>): Promise<Split> {
  return loadSplit(path.join(result.dir, 'split.json'));
}

/**
 * The decision threshold of `embedder` fitted on labelled `pairs` (e.g. a run's validation pairs, never the
 * people it is then used on): the accuracy-maximising one, as training runs fit theirs.
 */
export async function fitThresholdOnPairs(dataset: Dataset, pairs: readonly Pair[], embedder: FaceEmbedder): Promise<number> {
  if (pairs.length === 0) throw new RangeError(`fitThresholdOnPairs: no pairs to fit ${embedder.name}'s threshold on`);
  const records = await embedDataset(dataset, pairImages(pairs), embedder);
  const vec = (r: ImageRef): number[] => records.get(refKey(r))![embedder.name] as number[];
  const values = pairs.map((p) => embedder.compare(vec(p.a), vec(p.b)));
  return bestThreshold(values, pairs.map((p) => p.isSame), embedder).threshold;
}

/**
 * The run's network *before* training: the same architecture, built with the same seed, so exactly the
 * weights training started from (`experiment`: the run's resolved experiment, e.g. `loadOrTrain`'s). The caller
 * may dispose it with `embedder`'s model once done (tiny).
 */
export function untrainedEmbedder(experiment: ResolvedExperiment, name = 'before training'): FaceEmbedder {
  const { config } = experiment;
  const net = buildEmbedding(config.model, config.seed);
  const model = siamese(net, { head: config.head, seed: config.seed, normalize: config.normalize });
  return trainedEmbedder(model, experiment.preprocessing, name);
}

/** Images of `people` (at most `perPerson` each, in file order) embedded by each embedder. */
export async function embedPeople(dataset: Dataset, people: readonly string[], embedders: readonly FaceEmbedder[], perPerson = Infinity): Promise<{
  refs: ImageRef[]; persons: string[]; embeddings: Record<string, number[][]>;
}> {
  const refs = people.flatMap((person) => dataset.images(person).slice(0, perPerson).map((file) => ({ person, file })));
  if (refs.length === 0) throw new RangeError(`embedPeople: none of the ${people.length} people has images in ${dataset.root}`);
  const embeddings: Record<string, number[][]> = {};
  for (const e of embedders) {
    const records = await embedDataset(dataset, refs, e);
    embeddings[e.name] = refs.map((r) => records.get(refKey(r))![e.name] as number[]);
  }
  return { refs, persons: refs.map((r) => r.person), embeddings };
}

/**
 * The gallery of `dir` (`dir/<person>/*.jpg`) embedded by `verifier` and indexed with its metric. Photos
 * without a face or unreadable are listed in `skipped`, not indexed; `warnings` names indexed photos whose
 * place may be unreliable (e.g. transparent ones). Throws naming the folder when it is missing, holds no
 * identity folders, or no photo in it gave a face.
 */
export async function indexGalleryFolder(verifier: Verifier, dir: string): Promise<{ index: GalleryIndex; skipped: string[]; warnings: string[] }> {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new Error(`gallery ${abs}: no such folder`);
  const { faces, problems } = await readFaceFolder(abs).catch((err: Error) => {
    throw new Error(`gallery ${err.message}`);
  });
  const labelled = faces.filter((f) => f.person !== null);
  if (labelled.length === 0) throw new Error(`gallery ${abs} has no identity folders: put each person's photos in ${abs}/<person>/`);
  const { embedded, skipped, warnings } = await embedFaces(verifier, labelled);
  const loose = faces.filter((f) => f.person === null).map((f) => `${f.path}: not in an identity folder; ignored`);
  if (embedded.length === 0) throw new Error(`gallery ${abs}: no face found in any of its ${labelled.length} images:\n  ${skipped.join('\n  ')}`);
  const entries = embedded.map((f) => ({ person: f.person!, file: f.path, embedding: f.embedding! }));
  return { index: new GalleryIndex(entries, verifier.embedder.name, metricOf(verifier.embedder)), skipped: [...problems, ...loose, ...skipped], warnings };
}

/** A gallery of dataset images (`Person/file` keys) embedded by `embedder`. */
export async function indexDataset(dataset: Dataset, refs: readonly ImageRef[], embedder: FaceEmbedder): Promise<GalleryIndex> {
  const records = await embedDataset(dataset, refs, embedder);
  return new GalleryIndex(refs.map((r) => ({ person: r.person, file: refKey(r), embedding: records.get(refKey(r))![embedder.name] as number[] })), embedder.name, metricOf(embedder));
}

/**
 * Embeddings of the images of `people` (persons with fewer than `minImages` embedded images are left out):
 * read from `cache` (records by `Person/file`, e.g. the JSON lines `bench/lfw-face-api.ts` writes) under
 * `variant`, else embedded here by `verifier` (photos it finds no face in are left out). The variant defaults to
 * the one made with the verifier's crop (`chip`, or `square` for the box crop), so cached descriptors and the
 * verifier's threshold belong together; a cache without that variant is not used when a verifier is given.
 */
export async function descriptorsOf(dataset: Dataset, people: readonly string[], options: {
  cache?: ReadonlyMap<string, EmbeddingRecord>; variant?: string; verifier?: Verifier; minImages?: number;
}): Promise<{ refs: ImageRef[]; persons: string[]; embeddings: number[][]; source: string }> {
  const minImages = options.minImages ?? 2;
  const found: { ref: ImageRef; embedding: number[] }[] = [];
  let source: string;
  const variant = options.variant ?? (options.verifier ? cacheVariantOf(options.verifier.crop, options.verifier.settings?.mirror === true) : 'square');
  const cached = options.cache && (!options.verifier || [...options.cache.values()].some((r) => Array.isArray(r[variant]))) ? options.cache : undefined;
  if (cached) {
    for (const person of people) {
      for (const file of dataset.images(person)) {
        const v = cached.get(refKey({ person, file }))?.[variant];
        if (Array.isArray(v)) found.push({ ref: { person, file }, embedding: v as number[] });
      }
    }
    source = `cached ${variant} descriptors`;
  } else if (options.verifier) {
    const byPath = new Map(people.flatMap((person) => dataset.images(person).map((file) => [dataset.path({ person, file }), { person, file }] as const)));
    const { embedded } = await embedFaces(options.verifier, [...byPath].map(([p, r]) => ({ path: p, person: r.person })));
    for (const f of embedded) found.push({ ref: byPath.get(f.path)!, embedding: [...f.embedding!] });
    source = `embedded here by ${options.verifier.embedder.name}${options.verifier.aligned ? ' (aligned crops)' : ' (detected and aligned)'}`;
  } else {
    throw new Error('descriptorsOf needs a cache or a verifier');
  }
  const count = new Map<string, number>();
  for (const f of found) count.set(f.ref.person, (count.get(f.ref.person) ?? 0) + 1);
  const kept = found.filter((f) => (count.get(f.ref.person) ?? 0) >= minImages);
  return { refs: kept.map((f) => f.ref), persons: kept.map((f) => f.ref.person), embeddings: kept.map((f) => f.embedding), source };
}

/**
 * The name `bench/lfw-face-api.ts` caches a crop's descriptors under: `chip` for the chip (`chip+mirror` when
 * the descriptor is the mean of the chip's and its mirror image's), `square` for the box crop.
 */
export function cacheVariantOf(crop: FaceCrop, mirror = false): string {
  return crop === 'box' ? 'square' : mirror ? 'chip+mirror' : 'chip';
}
