/**
 * Face verification of photos: are these two photos the same person? A {@link Verifier} holds a frozen
 * face embedder, its committed decision settings (threshold and uncertain band, fitted on LFW View 1) and
 * the crop pipeline (detect, align, crop; or `aligned` for ready-made crops). Each photo is prepared and
 * embedded once and cached, so folder mode compares every pair cheaply.
 *
 * Answers: `same` / `different` when the value is clearly on one side of the threshold, `uncertain` when it
 * is within the band, `no-face` when either photo has no detectable face (never a guess).
 *
 * @see notebooks/07-personal-images.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { Dataset } from '../data/dataset';
import type { LoadFaceApiOptions } from '../models/pretrained/face-api';
import { faceApiEmbedder, type FaceEmbedder } from '../models/pretrained/face-embedder';
import { detectFaces, resolveDetect, type DetectConfig } from './detect';
import { prepareFace, type PreparedFace } from './prepare-face';
import { accepts } from './scored';
import { readVerifyModel, type VerifyModelSettings } from './verify-model';

/** The embedders `siamese verify --model` knows. */
export const VERIFY_MODELS: Readonly<Record<string, (load: LoadFaceApiOptions) => Promise<FaceEmbedder>>> = Object.freeze({
  'face-api': (load: LoadFaceApiOptions) => faceApiEmbedder(load),
});

/** The default model: face-api's dlib ResNet, zero-shot, threshold fitted on View 1. */
export const DEFAULT_VERIFY_MODEL = 'face-api';

/** Options of {@link Verifier.create}. */
export interface VerifierOptions {
  readonly model?: string;
  /** Photos are already face crops: skip detection. */
  readonly aligned?: boolean;
  readonly detect?: Partial<DetectConfig>;
  /** Settings file (default lib/eval/verify-threshold.json). */
  readonly settingsFile?: string;
  readonly load?: LoadFaceApiOptions;
  /** Run one blank image through the networks at creation, so the first real pair is timed warm (default true). */
  readonly warmUp?: boolean;
}

/** A photo prepared and embedded. */
export interface EmbeddedFace extends PreparedFace {
  readonly embedding?: readonly number[];
}

/** The answer for one pair. */
export interface Verdict {
  readonly decision: 'same' | 'different' | 'uncertain' | 'no-face';
  /** The distance (or score) between the two faces; absent for `no-face`. */
  readonly value?: number;
  readonly threshold: number;
  readonly uncertainBand: number;
  readonly model: string;
  readonly a: EmbeddedFace;
  readonly b: EmbeddedFace;
  /** Milliseconds spent on this pair (preparing and embedding both photos unless cached). */
  readonly ms: number;
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
  readonly isSame: 0 | 1;
  readonly verdict: Verdict;
}

/** Verifies photos with one embedder and its fitted settings. */
export class Verifier {
  private readonly cache = new Map<string, EmbeddedFace>();

  private constructor(readonly embedder: FaceEmbedder, readonly settings: VerifyModelSettings, readonly aligned: boolean,
    readonly detect: DetectConfig, private readonly load: LoadFaceApiOptions) {}

  /** Loads the model and its settings (and warms the networks up unless `warmUp: false`). */
  static async create(options: VerifierOptions = {}): Promise<Verifier> {
    const model = options.model ?? DEFAULT_VERIFY_MODEL;
    const make = VERIFY_MODELS[model];
    if (!make) throw new RangeError(`unknown model ${JSON.stringify(model)}; available: ${Object.keys(VERIFY_MODELS).join(', ')}`);
    const settings = readVerifyModel(model, options.settingsFile);
    const embedder = await make(options.load ?? {});
    if (embedder.higherIsCloser !== settings.higherIsCloser) {
      throw new Error(`settings for ${model} say higherIsCloser=${settings.higherIsCloser} but the embedder says ${embedder.higherIsCloser}`);
    }
    // detect as the threshold was fitted (detector, input size, minimum score), but a photo stands for its largest face
    const fitted = (settings.detect ?? {}) as Partial<DetectConfig>;
    const detect = resolveDetect({ detector: fitted.detector, tinyInputSize: fitted.tinyInputSize, minScore: fitted.minScore, ...options.detect, choose: options.detect?.choose ?? 'largest' });
    const v = new Verifier(embedder, settings, options.aligned ?? false, detect, options.load ?? {});
    if (options.warmUp ?? true) await v.warmUp();
    return v;
  }

  private async warmUp(): Promise<void> {
    const blank = { data: new Uint8Array(this.detect.tinyInputSize * this.detect.tinyInputSize * 3).fill(128), width: this.detect.tinyInputSize, height: this.detect.tinyInputSize, channels: 3 as const };
    if (!this.aligned) await detectFaces(blank, this.detect, this.load);
    const x = tf.zeros([1, this.embedder.inputSize, this.embedder.inputSize, 3]) as tf.Tensor4D;
    try {
      await this.embedder.embed(x);
    } finally {
      x.dispose();
    }
  }

  /** Prepares and embeds one photo (cached by path). Throws for unreadable or tiny images. */
  async embedFile(file: string): Promise<EmbeddedFace> {
    const hit = this.cache.get(file);
    if (hit) return hit;
    const p = await prepareFace(file, { size: this.embedder.inputSize, aligned: this.aligned, detect: this.detect, load: this.load });
    let out: EmbeddedFace = p;
    if (p.crop) {
      const x = tf.tensor4d(p.crop.data, [1, p.crop.height, p.crop.width, 3], 'int32');
      try {
        out = { ...p, embedding: (await this.embedder.embed(x))[0] };
      } finally {
        x.dispose();
      }
    }
    this.cache.set(file, out);
    return out;
  }

  /** Verifies one pair of photos. */
  async verify(fileA: string, fileB: string): Promise<Verdict> {
    const t = performance.now();
    const a = await this.embedFile(fileA);
    const b = await this.embedFile(fileB);
    const base = { threshold: this.settings.threshold, uncertainBand: this.settings.uncertainBand, model: this.embedder.name, a, b };
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
    for (const it of items) {
      try {
        await this.embedFile(it.path);
        ok.push(it);
      } catch (err) {
        problems.push(`${it.path}: ${(err as Error).message}`);
      }
    }
    const rows: FolderRow[] = [];
    for (let i = 0; i < ok.length; i++) {
      for (let j = i + 1; j < ok.length; j++) {
        rows.push({ a: ok[i].path, b: ok[j].path, isSame: ok[i].person === ok[j].person ? 1 : 0, verdict: await this.verify(ok[i].path, ok[j].path) });
      }
    }
    return { rows, problems };
  }
}
