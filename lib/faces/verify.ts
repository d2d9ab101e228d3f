/**
 * Face verification of photos: are these two photos the same person? A {@link Verifier} holds a frozen
 * face embedder, its committed decision settings (threshold and uncertain band, fitted on LFW View 1) and
 * the crop pipeline (detect, align, crop; or `aligned` for ready-made crops). Each photo is prepared and
 * embedded once and cached, so folder mode compares every pair cheaply.
 *
 * Answers: `same` / `different` when the value is clearly on one side of the threshold, `uncertain` when it
 * is within the band, `no-face` when either photo has no detectable face, `not-a-face` when the face check
 * (face-check.ts) says either crop is not a face, with `aligned` too (never a guess). `warnings` lists
 * what may make an answer unreliable, naming the photo (e.g. it was transparent and flattened onto white).
 *
 * @see notebooks/07-personal-images.ipynb
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { Dataset } from '../data/dataset';
import type { DecodedImage, IsSame } from '../data/types';
import type { LoadFaceApiOptions } from './face-api';
import { embedCrops, faceApiEmbedder, tunedFaceApiEmbedder, type FaceEmbedder } from './face-embedder';
import { readPhoto, resolveDetect, warmUpDetection, type DetectConfig } from './detect';
import { PhotoHelper } from './photo-helper';
import { DEFAULT_FACE_CROP, prepareDecoded, runsDetection, type FaceCrop, type PrepareOptions, type PreparedFace } from './prepare-face';
import { accepts } from '../eval/scored';
import { readFaceCheck } from './face-check';
import { hasVerifyModel, readVerifyModel, settingsWeightsFile, TUNED_MODEL, verifySettingsKey, type VerifyModelSettings } from './verify-model';

export { TUNED_MODEL };

/** The embedders `siamese verify --model` knows, each made as its settings say (e.g. `mirror`). */
export const VERIFY_MODELS: Readonly<Record<string, (load: LoadFaceApiOptions, settings?: VerifyModelSettings) => Promise<FaceEmbedder>>> = Object.freeze({
  'face-api': (load: LoadFaceApiOptions, settings?: VerifyModelSettings) => faceApiEmbedder(load, { mirror: settings?.mirror === true }),
  [TUNED_MODEL]: (_load: LoadFaceApiOptions, settings?: VerifyModelSettings) => {
    if (settings?.mirror !== true) throw new Error(`the settings of ${TUNED_MODEL} must say mirror: true (the tuned top was trained and fitted on mirror-averaged descriptors)`);
    return tunedFaceApiEmbedder(settingsWeightsFile(TUNED_MODEL, settings), TUNED_MODEL);
  },
});

/** Photos prepared and embedded together in folder mode. */
const FOLDER_BATCH = 8;

/**
 * The default model: face-api's dlib ResNet with its top fine-tuned on LFW beside its own ({@link TUNED_MODEL}), which
 * on View 1's test pairs scores the originals as zero-shot with the mirror does and tight crops better (BENCHMARKS.md).
 * `face-api` is the zero-shot network.
 */
export const DEFAULT_VERIFY_MODEL = TUNED_MODEL;

/** Options of {@link Verifier.create}. */
export interface VerifierOptions {
  readonly model?: string;
  /** Photos are already face crops: skip detection. */
  readonly aligned?: boolean;
  /** How detected faces are cropped (default `'chip'`, dlib's face chip); each crop has its own fitted threshold. */
  readonly crop?: FaceCrop;
  readonly detect?: Partial<DetectConfig>;
  /** Settings file (default lib/faces/verify-threshold.json). */
  readonly settingsFile?: string;
  readonly load?: LoadFaceApiOptions;
  /** Run one blank image through the networks at creation, so the first real pair is timed warm (default true). */
  readonly warmUp?: boolean;
  /**
   * The face check (face-check.ts, default true): a crop that is not a face (with `aligned` too) gets no
   * embedding and pairs with it answer `not-a-face`. `false` turns it off (e.g. the synthetic faces, which no
   * detector finds); a number is a threshold other than the committed one.
   */
  readonly faceCheck?: boolean | number;
  /**
   * Threads that prepare photos (photo-helper.ts): 2 = a helper thread prepares every other photo (a pair's
   * second) while this one prepares the first, each with its own copy of the detectors; 1 = this thread alone.
   * Default: 2 on the wasm backend when the machine has two or more cores and photos are detected or checked
   * (not `aligned` crops without the face check, which are only resized), else 1. The verdicts are the same.
   */
  readonly threads?: 1 | 2;
}

/** A photo prepared and embedded. */
export interface EmbeddedFace extends PreparedFace {
  readonly embedding?: readonly number[];
}

/** The answer for one pair. */
export interface Verdict {
  readonly decision: 'same' | 'different' | 'uncertain' | 'no-face' | 'not-a-face';
  /** The distance (or score) between the two faces; absent for `no-face`. */
  readonly value?: number;
  readonly threshold: number;
  readonly uncertainBand: number;
  readonly model: string;
  readonly a: EmbeddedFace;
  readonly b: EmbeddedFace;
  /** Milliseconds spent on this pair (preparing and embedding both photos unless cached). */
  readonly ms: number;
  /** Both photos' warnings (each names its file); empty when nothing is in doubt. */
  readonly warnings: readonly string[];
}

/** The face check's threshold for a `faceCheck` option: the committed one by default, none for `false`. */
export function faceCheckThreshold(option: boolean | number | undefined): number | undefined {
  if (option === false) return undefined;
  if (typeof option === 'number') {
    if (!(option > 0)) throw new RangeError(`faceCheck threshold must be a positive number, got ${option}`);
    return option;
  }
  return readFaceCheck().threshold;
}

/** Decides from a value: `uncertain` within the band, else which side of the threshold it is on. */
export function decide(value: number, settings: Pick<VerifyModelSettings, 'threshold' | 'uncertainBand' | 'higherIsCloser'>): 'same' | 'different' | 'uncertain' {
  if (Math.abs(value - settings.threshold) < settings.uncertainBand) return 'uncertain';
  return accepts(value, settings.threshold, settings) ? 'same' : 'different';
}

/** One row of folder mode. */
export interface FolderRow {
  readonly a: string;
  readonly b: string;
  /** From the folder names: 1 = same person folder. */
  readonly isSame: IsSame;
  readonly verdict: Verdict;
}

/** Verifies photos with one embedder and its fitted settings. */
export class Verifier {
  private readonly cache = new Map<string, EmbeddedFace>();
  private helper: PhotoHelper | undefined;

  private constructor(readonly embedder: FaceEmbedder, readonly settings: VerifyModelSettings, readonly aligned: boolean,
    readonly detect: DetectConfig, private readonly load: LoadFaceApiOptions, readonly crop: FaceCrop = DEFAULT_FACE_CROP,
    /** The face check's threshold (undefined: no check). */
    readonly faceCheck?: number) {}

  /** Loads the model and its settings (and warms the networks up unless `warmUp: false`). */
  static async create(options: VerifierOptions = {}): Promise<Verifier> {
    const model = options.model ?? DEFAULT_VERIFY_MODEL;
    const make = VERIFY_MODELS[model];
    if (!make) throw new RangeError(`unknown model ${JSON.stringify(model)}; available: ${Object.keys(VERIFY_MODELS).join(', ')}`);
    const crop = options.crop ?? DEFAULT_FACE_CROP;
    let settings: VerifyModelSettings;
    try {
      settings = readVerifyModel(verifySettingsKey(model, crop), options.settingsFile);
    } catch (err) {
      // say which models have settings for this crop (the tuned model is fitted on the chip only)
      const withCrop = Object.keys(VERIFY_MODELS).filter((m) => m !== model && hasVerifyModel(verifySettingsKey(m, crop), options.settingsFile));
      throw withCrop.length ? new Error(`${(err as Error).message}; the ${crop} crop has settings for: ${withCrop.map((m) => `--model ${m}`).join(', ')}`) : err;
    }
    if (settings.cropKind !== undefined && settings.cropKind !== crop) {
      throw new Error(`settings ${verifySettingsKey(model, crop)} were fitted on the ${String(settings.cropKind)} crop, not ${crop}`);
    }
    const embedder = await make(options.load ?? {}, settings);
    if (embedder.higherIsCloser !== settings.higherIsCloser) {
      throw new Error(`settings for ${model} say higherIsCloser=${settings.higherIsCloser} but the embedder says ${embedder.higherIsCloser}`);
    }
    // detect as the threshold was fitted (detector, input size, minimum score), but a photo stands for its largest face
    const fitted = (settings.detect ?? {}) as Partial<DetectConfig>;
    const detect = resolveDetect({ detector: fitted.detector, tinyInputSize: fitted.tinyInputSize, minScore: fitted.minScore, ...options.detect, choose: options.detect?.choose ?? 'largest' });
    const v = new Verifier(embedder, settings, options.aligned ?? false, detect, options.load ?? {}, crop, faceCheckThreshold(options.faceCheck));
    await v.start(options);
    return v;
  }

  /**
   * A verifier around an embedder that is not in {@link VERIFY_MODELS} (e.g. a network trained by the
   * project), with its own settings: the same preparation, caching and decisions as `create`.
   */
  static async fromEmbedder(embedder: FaceEmbedder, settings: VerifyModelSettings, options: Omit<VerifierOptions, 'model' | 'settingsFile'> = {}): Promise<Verifier> {
    if (embedder.higherIsCloser !== settings.higherIsCloser) {
      throw new Error(`settings for ${embedder.name} say higherIsCloser=${settings.higherIsCloser} but the embedder says ${embedder.higherIsCloser}`);
    }
    const v = new Verifier(embedder, settings, options.aligned ?? false, resolveDetect({ ...options.detect, choose: options.detect?.choose ?? 'largest' }), options.load ?? {}, options.crop ?? DEFAULT_FACE_CROP, faceCheckThreshold(options.faceCheck));
    await v.start(options);
    return v;
  }

  /** How photos are prepared (what the helper thread gets too). */
  private prepareOptions(): PrepareOptions {
    return { size: this.embedder.inputSize, aligned: this.aligned, detect: this.detect, load: this.load, crop: this.crop, ...(this.faceCheck !== undefined ? { check: this.faceCheck } : {}) };
  }

  /** Starts the helper thread (see `threads`) while this thread warms its own networks up. */
  private async start(options: Pick<VerifierOptions, 'threads' | 'warmUp'>): Promise<void> {
    const backend = tf.getBackend();
    // aligned crops without the face check are only resized: nothing worth a second thread's start-up
    const heavy = runsDetection(this.prepareOptions());
    const threads = options.threads ?? (heavy && backend === 'wasm' && os.availableParallelism() >= 2 ? 2 : 1);
    if (threads !== 1 && threads !== 2) throw new RangeError(`verifier threads must be 1 or 2, got ${JSON.stringify(threads)}`);
    // the helper runs the same backend, so its photos come out as this thread's would
    if (threads === 2 && backend !== 'wasm' && backend !== 'cpu') throw new Error(`verifier threads: 2 needs the wasm or cpu backend (a helper thread with the same backend), not ${backend}`);
    const warmUp = options.warmUp ?? true;
    const helper = threads === 2
      ? PhotoHelper.start({ prepare: this.prepareOptions(), maxSide: this.detect.maxSide, backend: backend as 'wasm' | 'cpu', warmUp })
      : undefined;
    try {
      if (warmUp) await this.warmUp();
    } finally {
      this.helper = await helper;
    }
  }

  /** Threads preparing photos: 2 while the helper thread is running, else 1. */
  get threads(): 1 | 2 {
    return this.helper?.alive ? 2 : 1;
  }

  /** Stops the helper thread, if any (the verifier goes on, on this thread alone). */
  async close(): Promise<void> {
    const h = this.helper;
    this.helper = undefined;
    await h?.close();
  }

  /**
   * Runs the networks a usual pair needs once at the shapes it uses (the backend prepares each operator on its
   * first call): the tiny detector and the landmark net (`warmUpDetection`), the embedder on a batch of two
   * crops. SSD (the cascade's fallback) is not loaded here: it is loaded the first time a photo needs it, so
   * creating a verifier, and every photo the tiny detector finds a face in, never pays for it.
   */
  private async warmUp(): Promise<void> {
    if (runsDetection(this.prepareOptions())) await warmUpDetection(this.detect, this.load);
    const x = tf.zeros([2, this.embedder.inputSize, this.embedder.inputSize, 3]) as tf.Tensor4D;
    try {
      await this.embedder.embed(x);
    } finally {
      x.dispose();
    }
  }

  /** Prepares and embeds one photo (cached by path). Throws for unreadable or tiny images. */
  async embedFile(file: string): Promise<EmbeddedFace> {
    return (await this.embedFiles([file]))[0];
  }

  /**
   * Prepares and embeds photos (cached by path); throws the first photo's error (unreadable, tiny).
   * With the helper thread, every other photo is prepared there while this thread prepares the rest; here the
   * photos are decoded together (sharp decodes in its own threads while detection runs here). Their crops go
   * through the embedder together (`embedCrops`: batches of up to 8), not one network call per photo.
   */
  async embedFiles(files: readonly string[]): Promise<EmbeddedFace[]> {
    const settled = await this.embedSettled(files);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<EmbeddedFace>).value);
  }

  /**
   * Prepares and embeds many photos, {@link FOLDER_BATCH} at a time (decoding overlaps and the embedder gets
   * batches, without holding every photo in memory); each photo's failure is kept beside the others' results.
   */
  async embedEach(files: readonly string[]): Promise<PromiseSettledResult<EmbeddedFace>[]> {
    const out: PromiseSettledResult<EmbeddedFace>[] = [];
    for (let i = 0; i < files.length; i += FOLDER_BATCH) out.push(...await this.embedSettled(files.slice(i, i + FOLDER_BATCH)));
    return out;
  }

  /** {@link embedFiles}, with each photo's failure kept beside the others' results. */
  private async embedSettled(files: readonly string[]): Promise<PromiseSettledResult<EmbeddedFace>[]> {
    const todo = [...new Set(files.filter((f) => !this.cache.has(f)))];
    const helper = this.helper?.alive ? this.helper : undefined;
    // with the helper: odd positions there (a pair's second photo), even ones here, both at once
    const there = helper ? todo.filter((_, i) => i % 2 === 1) : [];
    const here = helper ? todo.filter((_, i) => i % 2 === 0) : todo;
    const fromHelper = Promise.allSettled(there.map((f) => helper!.prepare(f)));
    const decoded = await Promise.allSettled(here.map((f) => readPhoto(f, this.detect.maxSide)));
    const options = this.prepareOptions();
    const failures = new Map<string, unknown>();
    const byFile = new Map<string, PreparedFace>();
    for (const [i, d] of decoded.entries()) {
      // the helper may run passes of this photo's cascade that this thread has not started (photo-helper.ts)
      const share = helper?.alive && d.status === 'fulfilled' && runsDetection(options) ? helper.share(d.value.image) : undefined;
      try {
        if (d.status === 'rejected') throw d.reason;
        byFile.set(here[i], await prepareDecoded(here[i], d.value, options, share));
      } catch (err) {
        failures.set(here[i], err);
      } finally {
        share?.done();
      }
    }
    // this thread's photos are done: run the passes of the helper's photos that it has not started, instead of waiting
    if (helper?.alive && there.length > 0) await helper.helpUntil(fromHelper, this.detect, this.load);
    for (const [i, r] of (await fromHelper).entries()) {
      if (r.status === 'fulfilled') byFile.set(there[i], r.value);
      else if (helper!.alive) failures.set(there[i], r.reason);
      else {
        // the helper thread itself died (not this photo's fault): prepare the photo here
        try {
          byFile.set(there[i], await prepareDecoded(there[i], await readPhoto(there[i], this.detect.maxSide), options));
        } catch (err) {
          failures.set(there[i], err);
        }
      }
    }
    const prepared = todo.filter((f) => byFile.has(f)).map((f) => byFile.get(f)!);
    const withCrop = prepared.filter((p) => p.crop);
    const embeddings = await this.embedCrops(withCrop.map((p) => p.crop!));
    for (const p of prepared) this.cache.set(p.file, p.crop ? { ...p, embedding: embeddings[withCrop.indexOf(p)] } : p);
    return files.map((f) => (failures.has(f) ? { status: 'rejected', reason: failures.get(f) } : { status: 'fulfilled', value: this.cache.get(f)! }));
  }

  /** Embeds crops of the embedder's input size in one call. */
  private async embedCrops(crops: readonly DecodedImage[]): Promise<number[][]> {
    return embedCrops(this.embedder, crops);
  }

  /** Verifies one pair of photos (both prepared together, both faces embedded in one network call). */
  async verify(fileA: string, fileB: string): Promise<Verdict> {
    const t = performance.now();
    const [a, b] = await this.embedFiles([fileA, fileB]);
    const warnings = [...new Set([...a.warnings, ...b.warnings])];
    const base = { threshold: this.settings.threshold, uncertainBand: this.settings.uncertainBand, model: this.embedder.name, a, b, warnings };
    if (a.status === 'not-a-face' || b.status === 'not-a-face') return { ...base, decision: 'not-a-face', ms: performance.now() - t };
    if (!a.embedding || !b.embedding) return { ...base, decision: 'no-face', ms: performance.now() - t };
    const value = this.embedder.compare(a.embedding, b.embedding);
    return { ...base, decision: decide(value, this.settings), value, ms: performance.now() - t };
  }

  /**
   * Folder mode: every pair of images in `<dir>/<person>/*`, labelled same/different by folder. Files that
   * cannot be read are reported in `problems` and skipped; the other pairs are still verified.
   */
  async verifyFolder(dir: string): Promise<{ rows: FolderRow[]; problems: string[] }> {
    const ds = await Dataset.open(dir, { cache: null });
    const out = await this.verifyAll(ds.refs().map((r) => ({ person: r.person, path: ds.path(r) })));
    return { rows: out.rows, problems: [...ds.problems.map((p) => `${p.path}: ${p.reason}`), ...out.problems] };
  }

  /** Every pair of the given photos (each with its person), labelled by person; unreadable photos are listed in `problems`. */
  async verifyAll(items: readonly { person: string; path: string }[]): Promise<{ rows: FolderRow[]; problems: string[] }> {
    const problems: string[] = [];
    const ok: { person: string; path: string }[] = [];
    (await this.embedEach(items.map((it) => it.path))).forEach((r, k) => {
      if (r.status === 'fulfilled') ok.push(items[k]);
      else problems.push(`${items[k].path}: ${(r.reason as Error).message}`);
    });
    const rows: FolderRow[] = [];
    for (let i = 0; i < ok.length; i++) {
      for (let j = i + 1; j < ok.length; j++) {
        rows.push({ a: ok[i].path, b: ok[j].path, isSame: ok[i].person === ok[j].person ? 1 : 0, verdict: await this.verify(ok[i].path, ok[j].path) });
      }
    }
    return { rows, problems };
  }
}
