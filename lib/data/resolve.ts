/**
 * The one resolver that decides where face data lives, and says which it chose:
 *
 * 1. `LFW_DIR` (a real LFW folder), if set;
 * 2. `--dir` (the CLI flag / `dir` option), if given;
 * 3. the data home (`SIAMESE_DATA`, default `data/`) holding a downloaded LFW in `lfw/`;
 * 4. the built-in synthetic set in `<data home>/synth/`, made by the synthetic step when missing.
 *
 * A folder named by `LFW_DIR` or `--dir` that does not exist is an error, never a silent fallback; so is a
 * downloaded LFW folder in the data home that is empty or holds no images.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CropConfig } from './crop';
import { Dataset, DatasetError, IMAGE_EXTENSIONS, checkDatasetFolder, type OpenDatasetOptions } from './dataset';
import { dataHome } from './paths';

/** Which rule picked the data. */
export type DataSource = 'LFW_DIR' | '--dir' | 'data-home-lfw' | 'synthetic';

/** Where the data is and why. */
export interface ResolvedData {
  readonly source: DataSource;
  /** The dataset root (person folders inside). */
  readonly root: string;
  /** The crop the source asks for; undefined = the dataset's default (LFW's centre crop for the LFW layout). */
  readonly crop?: CropConfig;
  /** One line saying what was chosen and why (also printed). */
  readonly message: string;
}

/** What the synthetic step returns: the set's root, or the root and the crop its images need. */
export type SyntheticResult = string | { readonly root: string; readonly crop?: CropConfig };

/** Makes sure the synthetic set exists under `home` (generating it if needed) and says where it is. */
export type SyntheticStep = (home: string, log: (line: string) => void) => Promise<SyntheticResult>;

/** Options for {@link resolveData}. */
export interface ResolveDataOptions {
  /** The `--dir` flag. */
  readonly dir?: string;
  /** Environment to read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Data home (default `dataHome(env)`). */
  readonly home?: string;
  /** Where to print the choice (default `console.log`; null = silent). */
  readonly log?: ((line: string) => void) | null;
  /** The synthetic step (default: use `<home>/synth` if it holds a dataset, else fail with what to run). */
  readonly synthetic?: SyntheticStep;
}

async function isDir(p: string): Promise<boolean> {
  return fs.stat(p).then((s) => s.isDirectory(), () => false);
}

/** Whether `dir` holds person folders with images (checks the first few folders only; cheap). */
export async function looksLikeDataset(dir: string): Promise<boolean> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let checked = 0;
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const files = await fs.readdir(path.join(dir, e.name)).catch(() => [] as string[]);
    if (files.some((f) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase()))) return true;
    if (++checked >= 5) break;
  }
  return false;
}

/** The LFW folder inside a data home: `<home>/lfw` itself or one folder below it (as an archive unpacks). */
export async function findDownloadedLfw(home: string): Promise<string | null> {
  const base = path.join(home, 'lfw');
  if (!(await isDir(base))) return null;
  if (await looksLikeDataset(base)) return base;
  const subs = (await fs.readdir(base, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const name of ['lfw', 'lfw_funneled', 'lfw-deepfunneled', ...subs]) {
    const p = path.join(base, name);
    if (await looksLikeDataset(p)) return p;
  }
  return null;
}

/** The folders an LFW archive unpacks to (`siamese data lfw` puts them in `<home>/lfw/`). */
const LFW_FOLDERS = ['lfw', 'lfw_funneled', 'lfw-deepfunneled'];

/**
 * Refuses a downloaded LFW folder in the data home that is there but unusable (empty, no images, ...):
 * falling back to the synthetic faces would hide that the download is broken.
 */
async function refuseBrokenDownloadedLfw(home: string): Promise<void> {
  for (const name of LFW_FOLDERS) {
    const p = path.join(home, 'lfw', name);
    if (!(await fs.lstat(p).then(() => true, () => false))) continue;
    try {
      await checkDatasetFolder(p);
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      throw new Error(`the data home holds ${p}, but it is not a usable dataset: ${err.message}; delete it and run \`siamese data lfw\` again, or set LFW_DIR / --dir`);
    }
  }
}

/** The default synthetic step: use an existing `<home>/synth`, else explain how to make one. */
export const existingSynthetic: SyntheticStep = async (home) => {
  const root = path.join(home, 'synth');
  if (await looksLikeDataset(root)) return root;
  throw new Error(`no face data found: set LFW_DIR to an LFW folder, pass --dir, download LFW with \`siamese data lfw\`, or generate the synthetic set with \`siamese data synth\` (expected in ${root})`);
};

let defaultSynthetic: SyntheticStep = existingSynthetic;

/** Sets the synthetic step used when {@link ResolveDataOptions.synthetic} is not given (the synth module registers its generator here). */
export function setDefaultSyntheticStep(step: SyntheticStep): void {
  defaultSynthetic = step;
}

/** Decides where the data is (see the module comment), prints the choice and returns it. */
export async function resolveData(options: ResolveDataOptions = {}): Promise<ResolvedData> {
  const env = options.env ?? process.env;
  const log = options.log === undefined ? (line: string) => console.log(line) : options.log ?? (() => undefined);
  const home = path.resolve(options.home ?? dataHome(env));
  const done = (r: Omit<ResolvedData, 'message'>, why: string): ResolvedData => {
    const message = `data: ${r.root} (${why})`;
    log(message);
    return { ...r, message };
  };
  const explicit = async (value: string, what: string): Promise<string> => {
    const root = path.resolve(value);
    if (!(await isDir(root))) throw new Error(`${what} is ${JSON.stringify(value)}, but ${root} is not a folder`);
    if (!(await looksLikeDataset(root))) throw new Error(`${what} is ${JSON.stringify(value)}, but ${root} has no person folders with images (<root>/<Person>/<image>)`);
    return root;
  };
  const lfwDir = env.LFW_DIR?.trim();
  if (lfwDir) {
    const root = await explicit(lfwDir, 'LFW_DIR');
    const ignored = options.dir && path.resolve(options.dir) !== root ? `; --dir ${options.dir} ignored because LFW_DIR is set` : '';
    return done({ source: 'LFW_DIR', root }, `from LFW_DIR${ignored}`);
  }
  if (options.dir) return done({ source: '--dir', root: await explicit(options.dir, '--dir') }, 'from --dir');
  const lfw = await findDownloadedLfw(home);
  if (lfw) return done({ source: 'data-home-lfw', root: lfw }, `downloaded LFW in the data home ${home}`);
  await refuseBrokenDownloadedLfw(home);
  const made = await (options.synthetic ?? defaultSynthetic)(home, log);
  const root = typeof made === 'string' ? made : made.root;
  const crop = typeof made === 'string' ? undefined : made.crop;
  return done({ source: 'synthetic', root: path.resolve(root), ...(crop ? { crop } : {}) },
    `the built-in synthetic set: LFW_DIR is unset, no --dir, no downloaded LFW in ${home}`);
}

/** Resolves the data and opens it as a {@link Dataset} (the source's crop unless `crop` is given). */
export async function openData(options: ResolveDataOptions & OpenDatasetOptions = {}): Promise<{ data: ResolvedData; dataset: Dataset }> {
  const data = await resolveData(options);
  const crop = options.crop ?? data.crop;
  const dataset = await Dataset.open(data.root, { ...options, ...(crop ? { crop } : {}) });
  return { data, dataset };
}
