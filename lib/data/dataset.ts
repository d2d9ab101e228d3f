/**
 * A face dataset in identity folders: `<root>/<Person>/<image>`. LFW's layout
 * (`<root>/<Name>/<Name>_0001.jpg`) is recognised and gets LFW's centre crop by default; any other folder
 * of person folders works too (JPEG, PNG, WebP, TIFF, GIF, AVIF, PGM/PPM/PBM; HEIC is listed so loading it
 * explains how to convert it).
 *
 * Opening a dataset scans the folders once. Anything odd (an empty person folder, a name that is not
 * UTF-8, a non-image file, a link pointing outside the root) is recorded in `problems` and skipped, so the
 * rest of the dataset stays usable; `{strict: true}` makes any problem an error listing all of them. A
 * folder with no person folders holding images is refused, saying what is missing (unless `allowEmpty`)
 * ({@link checkDatasetFolder} does the same check, by names only, for a folder that must be complete).
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import * as fs from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import * as path from 'node:path';
import { DecodeCache } from './cache';
import { DEFAULT_LFW_CROP, NO_CROP, resolveCrop, type CropConfig } from './crop';
import { decodeImage, resolveLoadOptions, MAX_INPUT_PIXELS, type LoadOptions } from './image';
import type { DecodedImage, ImageRef } from './types';
import { settleEach } from '../util/concurrency';

/** File extensions (lower case) treated as images. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif',
  '.pgm', '.ppm', '.pbm', '.pnm', '.heic', '.heif'];

/** `'lfw'` when every file is `<Person>/<Person>_NNNN.jpg`, else `'folders'`. */
export type DatasetLayout = 'lfw' | 'folders';

/** Something skipped while scanning: the path (relative to the root) and why. */
export interface DatasetProblem {
  readonly path: string;
  readonly reason: string;
}

/** Options for {@link Dataset.open}. */
export interface OpenDatasetOptions {
  /** The default crop for `load` (default: LFW's centre crop for the LFW layout, else none). */
  readonly crop?: CropConfig;
  /** The decoded-image cache (default: one under the data home); `null` decodes every time. */
  readonly cache?: DecodeCache | null;
  /** Throw if the scan finds any problem (default false: record and skip). */
  readonly strict?: boolean;
  /** Pixel limit per image (decompression-bomb guard). */
  readonly maxPixels?: number;
  /**
   * Accept a folder with no person folders holding images (default false: refused, saying what is
   * missing). For callers that also take loose photos (the face apps) and check emptiness themselves.
   */
  readonly allowEmpty?: boolean;
}

/** Thrown by a strict open, or when the root itself is unusable; lists every problem. */
export class DatasetError extends Error {
  constructor(readonly root: string, readonly problems: readonly DatasetProblem[], headline?: string) {
    super(headline ?? `${problems.length} problem(s) in dataset ${root}:\n${problems.map((p) => `  ${p.path}: ${p.reason}`).join('\n')}`);
    this.name = 'DatasetError';
  }
}

/** Some images of a batch failed; `failures` lists each with its error, `images` holds the rest (null where failed). */
export class ImageLoadError extends Error {
  constructor(readonly failures: readonly { ref: ImageRef; error: Error }[], readonly images: readonly (DecodedImage | null)[]) {
    super(`${failures.length} of ${images.length} images could not be loaded:\n${failures.map((f) => `  ${f.error.message}`).join('\n')}`);
    this.name = 'ImageLoadError';
  }
}

/** LFW's file name for image number `n` (1-based) of `person`: `Name_%04d.jpg`. */
export function lfwFileName(person: string, n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 9999) throw new RangeError(`LFW image number must be an integer in [1, 9999], got ${n}`);
  return `${person}_${String(n).padStart(4, '0')}.jpg`;
}

/** The ref of LFW image number `n` of `person`. */
export function lfwRef(person: string, n: number): ImageRef {
  return { person, file: lfwFileName(person, n) };
}

/** `person/file`, the form used in the Siamese CNN reference's pair lists and in messages. */
export function refKey(ref: ImageRef): string {
  return `${ref.person}/${ref.file}`;
}

function decodeName(name: Buffer): string | null {
  const text = name.toString('utf8');
  return Buffer.from(text, 'utf8').equals(name) ? text : null;
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** What a dataset folder holds at a glance (names only, nothing decoded): see {@link inspectDatasetFolder}. */
export interface DatasetFolderCheck {
  readonly root: string;
  /** Person folders with at least one image, and their images. */
  readonly people: number;
  readonly images: number;
  /** Person folders (not hidden) without any image file, sorted. */
  readonly emptyPeople: readonly string[];
  /** Files directly in the root (not people), sorted. */
  readonly looseFiles: readonly string[];
}

const list5 = (names: readonly string[], suffix = ''): string =>
  `${names.slice(0, 5).map((n) => `${n}${suffix}`).join(', ')}${names.length > 5 ? `, ... (${names.length - 5} more)` : ''}`;

/**
 * Why a dataset folder is not usable, or null when it is: empty, no person folders, no images in any, and
 * with `complete` (a folder that should hold a whole dataset, e.g. a downloaded LFW) also person folders
 * without images or fewer people / images than `expect`.
 */
export function datasetFolderProblem(check: DatasetFolderCheck, options: { complete?: boolean; expect?: { people: number; images: number } } = {}): string | null {
  const { root, people, images, emptyPeople, looseFiles } = check;
  const layout = `${root}/<Person>/<image>`;
  if (people === 0) {
    if (emptyPeople.length > 0) return `dataset folder ${root} has ${emptyPeople.length} person folder${emptyPeople.length === 1 ? '' : 's'} but no images in any of them (${list5(emptyPeople, '/')}); expected ${layout}`;
    if (looseFiles.length > 0) return `dataset folder ${root} has no person folders (only ${looseFiles.length} file${looseFiles.length === 1 ? '' : 's'}, e.g. ${looseFiles[0]}); expected ${layout}`;
    return `dataset folder ${root} is empty (expected person folders with images: ${layout})`;
  }
  if (!options.complete) return null;
  if (emptyPeople.length > 0) return `dataset folder ${root} is incomplete: ${emptyPeople.length} of ${people + emptyPeople.length} person folders have no images (${list5(emptyPeople, '/')})`;
  const want = options.expect;
  if (want && (people < want.people || images < want.images)) return `dataset folder ${root} is incomplete: ${people} of ${want.people} people, ${images} of ${want.images} images`;
  return null;
}

/**
 * Lists a dataset folder's person folders and counts their image files (by extension; nothing is decoded).
 * Throws a {@link DatasetError} when `root` does not exist or is not a folder.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export async function inspectDatasetFolder(root: string): Promise<DatasetFolderCheck> {
  const abs = path.resolve(root);
  const st = await fs.stat(abs).catch((err: NodeJS.ErrnoException) => {
    throw new DatasetError(abs, [], err.code === 'ENOENT' ? `dataset folder ${abs} does not exist` : `dataset folder ${abs} is not readable (${err.code ?? err.message})`);
  });
  if (!st.isDirectory()) throw new DatasetError(abs, [], `dataset folder ${abs} is not a folder`);
  let people = 0, images = 0;
  const emptyPeople: string[] = [], looseFiles: string[] = [];
  for (const e of (await fs.readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(abs, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && (await fs.stat(full).then((t) => t.isDirectory(), () => false)));
    if (!isDir) {
      looseFiles.push(e.name);
      continue;
    }
    const n = (await fs.readdir(full).catch(() => [] as string[])).filter((f) => !f.startsWith('.') && IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase())).length;
    if (n === 0) emptyPeople.push(e.name);
    else { people++; images += n; }
  }
  return { root: abs, people, images, emptyPeople, looseFiles };
}

/**
 * {@link inspectDatasetFolder}, then refuses (a {@link DatasetError} saying what is missing) a folder that
 * {@link datasetFolderProblem} finds unusable.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export async function checkDatasetFolder(root: string, options: { complete?: boolean; expect?: { people: number; images: number } } = {}): Promise<DatasetFolderCheck> {
  const check = await inspectDatasetFolder(root);
  const problem = datasetFolderProblem(check, options);
  if (problem) throw new DatasetError(check.root, [], problem);
  return check;
}

/** A dataset of people and their images. Create with {@link Dataset.open}. */
export class Dataset {
  /** The absolute root folder. */
  readonly root: string;
  readonly layout: DatasetLayout;
  /** The crop `load` uses unless told otherwise. */
  readonly crop: CropConfig;
  /** What the scan skipped, and why. */
  readonly problems: readonly DatasetProblem[];
  /** The decoded-image cache, or null. */
  readonly cache: DecodeCache | null;
  readonly maxPixels: number;
  private readonly byPerson: ReadonlyMap<string, readonly string[]>;
  private readonly personList: readonly string[];

  private constructor(root: string, byPerson: Map<string, string[]>, problems: DatasetProblem[], options: OpenDatasetOptions) {
    this.root = root;
    this.byPerson = byPerson;
    this.personList = [...byPerson.keys()];
    this.problems = problems;
    this.layout = this.personList.length > 0 && this.personList.every((p) =>
      (byPerson.get(p) ?? []).every((f) => f.length === p.length + 9 && f.startsWith(`${p}_`) && /^_\d{4}\.jpg$/.test(f.slice(p.length)))) ? 'lfw' : 'folders';
    this.crop = resolveCrop(options.crop ?? (this.layout === 'lfw' ? DEFAULT_LFW_CROP : NO_CROP));
    this.cache = options.cache === undefined ? new DecodeCache() : options.cache;
    this.maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  }

  /** Scans `root` and returns the dataset. Throws if `root` is not a readable folder (or on any problem when strict). */
  static async open(root: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
    const abs = path.resolve(root);
    let realRoot: string;
    try {
      realRoot = await fs.realpath(abs);
      if (!(await fs.stat(realRoot)).isDirectory()) throw new Error('not a folder');
    } catch (err) {
      throw new DatasetError(abs, [], `dataset folder ${abs} is not a readable folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const problems: DatasetProblem[] = [];
    const byPerson = new Map<string, string[]>();
    const emptyPeople: string[] = [], looseFiles: string[] = [];
    const list = async (dir: string): Promise<Dirent<Buffer>[]> =>
      (await fs.readdir(dir, { withFileTypes: true, encoding: 'buffer' })).sort((x, y) => Buffer.compare(x.name, y.name));
    // Follows a symlink, allowing it only when its target stays inside the root.
    const kindOf = async (full: string, entry: Dirent<Buffer>, rel: string): Promise<'dir' | 'file' | null> => {
      if (entry.isDirectory()) return 'dir';
      if (entry.isFile()) return 'file';
      if (!entry.isSymbolicLink()) return null;
      let target: string;
      try {
        target = await fs.realpath(full);
      } catch {
        problems.push({ path: rel, reason: 'broken symbolic link' });
        return null;
      }
      if (!isInside(realRoot, target)) {
        problems.push({ path: rel, reason: `symbolic link points outside the dataset root (to ${target}); refused` });
        return null;
      }
      const st = await fs.stat(target);
      return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
    };
    for (const entry of await list(abs)) {
      const name = decodeName(entry.name);
      const shown = name ?? entry.name.toString('latin1');
      if (shown.startsWith('.')) continue;
      if (name === null) {
        problems.push({ path: shown, reason: `name is not valid UTF-8 (bytes ${entry.name.toString('hex')}); rename it` });
        continue;
      }
      const full = path.join(abs, name);
      if ((await kindOf(full, entry, name)) !== 'dir') { // loose files at the root are not people
        looseFiles.push(name);
        continue;
      }
      const images: string[] = [];
      for (const child of await list(full)) {
        const childName = decodeName(child.name);
        const rel = `${name}/${childName ?? child.name.toString('latin1')}`;
        if ((childName ?? '').startsWith('.')) continue;
        if (childName === null) {
          problems.push({ path: rel, reason: `name is not valid UTF-8 (bytes ${child.name.toString('hex')}); rename it` });
          continue;
        }
        const kind = await kindOf(path.join(full, childName), child, rel);
        if (kind === 'dir') {
          problems.push({ path: rel, reason: 'nested folder inside a person folder; ignored' });
        } else if (kind === 'file') {
          if (IMAGE_EXTENSIONS.includes(path.extname(childName).toLowerCase())) images.push(childName);
          else problems.push({ path: rel, reason: `not an image file (extension "${path.extname(childName)}"); ignored` });
        }
      }
      if (images.length === 0) {
        problems.push({ path: name, reason: 'empty person folder (no images); skipped' });
        emptyPeople.push(name);
      } else byPerson.set(name, images);
    }
    // A dataset with nobody in it is refused, saying what is missing (issue 14: never "0 people" silently).
    const empty = options.allowEmpty ? null : datasetFolderProblem({ root: abs, people: byPerson.size, images: 0, emptyPeople, looseFiles });
    if (empty) throw new DatasetError(abs, problems, empty);
    if (options.strict && problems.length > 0) throw new DatasetError(abs, problems);
    return new Dataset(abs, byPerson, problems, options);
  }

  /** Every person with at least one image, sorted. */
  get people(): readonly string[] {
    return this.personList;
  }

  /** Number of people (with at least one image). */
  get numPeople(): number {
    return this.personList.length;
  }

  /** Number of images. */
  get numImages(): number {
    let n = 0;
    for (const files of this.byPerson.values()) n += files.length;
    return n;
  }

  /** The image file names of `person`, sorted (empty if unknown). */
  images(person: string): readonly string[] {
    return this.byPerson.get(person) ?? [];
  }

  /** The refs of every image of `person`, or of everyone. */
  refs(person?: string): ImageRef[] {
    const people = person === undefined ? this.personList : [person];
    return people.flatMap((p) => this.images(p).map((file) => ({ person: p, file })));
  }

  /** People with at least `k` images. */
  peopleWithAtLeast(k: number): string[] {
    return this.personList.filter((p) => this.images(p).length >= k);
  }

  /** Whether the person is in the dataset. */
  hasPerson(person: string): boolean {
    return this.byPerson.has(person);
  }

  /** Whether the image is in the dataset. */
  has(ref: ImageRef): boolean {
    return this.images(ref.person).includes(ref.file);
  }

  /** The absolute path of an image. */
  path(ref: ImageRef): string {
    return path.join(this.root, ref.person, ref.file);
  }

  /**
   * Decodes one image (through the cache when there is one). Options default to 64x64 RGB and the
   * dataset's crop. Throws for an image not in the dataset, and an {@link ImageDecodeError} for a bad file.
   */
  async load(ref: ImageRef, options: Partial<LoadOptions> = {}): Promise<DecodedImage> {
    if (!this.has(ref)) {
      throw new RangeError(this.hasPerson(ref.person)
        ? `image ${refKey(ref)} is not in dataset ${this.root} (${ref.person} has ${this.images(ref.person).length} images)`
        : `person ${JSON.stringify(ref.person)} is not in dataset ${this.root}`);
    }
    const opts = resolveLoadOptions({ crop: this.crop, ...options });
    return this.cache ? this.cache.load(this.path(ref), opts, this.maxPixels) : decodeImage(this.path(ref), opts, this.maxPixels);
  }

  /**
   * Decodes many images, `concurrency` at a time, in the order given. Every image is tried; if some fail,
   * one {@link ImageLoadError} lists all of them and carries the images that did decode (already cached).
   */
  async loadMany(refs: readonly ImageRef[], options: Partial<LoadOptions> = {}, concurrency = 4): Promise<DecodedImage[]> {
    const settled = await settleEach(refs, concurrency, (ref) => this.load(ref, options));
    const out = settled.map((r) => (r.ok ? r.value : null));
    const failures = settled.flatMap((r, i) => (r.ok ? [] : [{ ref: refs[i], error: r.error }]));
    if (failures.length) throw new ImageLoadError(failures, out);
    return out as DecodedImage[];
  }

  /** A one-line description, e.g. `LFW layout, 5749 people, 13233 images at /data/lfw`. */
  describe(): string {
    return `${this.layout === 'lfw' ? 'LFW layout' : 'identity folders'}, ${this.numPeople} people, ${this.numImages} images at ${this.root}` +
      (this.problems.length ? ` (${this.problems.length} entries skipped)` : '');
  }
}
