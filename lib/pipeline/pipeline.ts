/**
 * The pair-batch pipeline: from a pair list and a dataset to batches of `(a, b, isSame)` tensors ready
 * for a model: `a` and `b` the left and right images `[n, size, size, channels]` float32, preprocessed as
 * the model wants ({@link Preprocessing}: size, channels, normalisation), `isSame` float32 `[n]`.
 *
 * - Order: each epoch is a fresh shuffle drawn from `rng(seed).fork('shuffle').fork('epoch-<e>')`, so
 *   epoch e's order depends only on the seed and e. With an identity sampler ({@link createIdentityPipeline},
 *   lib/pipeline/identity-sampler.ts) each epoch's pairs are drawn fresh from the training people instead, in the
 *   sampler's order (P×K batches stay whole).
 * - Augmentation: batch (e, b)'s per-image params come from `rng(seed).fork('augment').fork('<e>.<b>')`,
 *   drawn on the main thread, so a batch's pixels never depend on timing or on which thread made it.
 * - Prefetch: the next `prefetch` batches are decoded and augmented in a worker thread (its own tfjs
 *   backend, on the other core) while the caller trains on the current one; the results come back as
 *   transferred Float32Arrays. A prefetch on the same thread would overlap nothing but file reads, since
 *   tfjs ops block the thread; `worker: false` does exactly that (for debugging and comparison).
 * - Position: `state()` is a small JSON object (seed, epoch, batch, and a hash of the pair list); a
 *   pipeline created with `{resume: state}` continues with exactly the batches the saved one would have
 *   given next, mid-epoch included.
 * - Tensors: a batch's tensors are created when it is handed out. `next()` gives ownership to the caller
 *   (call `batch.dispose()`); `epoch()` disposes each batch when the loop moves on or stops.
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { stopWorker } from '../util/worker-entry';
import * as tf from '@tensorflow/tfjs';
import { samplePolicy, resolvePolicy, applyOptions, type AugmentPolicy, type AugmentPolicyInput } from '../augment/policy';
import type { AugmentParams } from '../augment/params';
import { initBackend } from '../backend';
import { hash128 } from '../util/rng';
import { stream } from '../util/streams';
import { DecodeCache, MemoryDecodeCache, pipelineMemoryBudget } from '../data/cache';
import type { Dataset } from '../data/dataset';
import { refKey } from '../data/dataset';
import { resolveLoadOptions } from '../data/image';
import {
  produceBatch, resolvePreprocessing, DEFAULT_PREPROCESSING, wallClock, pipelineNice,
  type BatchJob, type ProducedBatch, type ProducerConfig, type ToPipelineWorker, type WorkerReply, type PipelineWorkerData,
} from './pipeline-worker';
import type { IsSame, Pair, PairList, Preprocessing } from '../data/types';
import { IdentitySampler } from './identity-sampler';

export {
  normalizeImages, resolvePreprocessing, DEFAULT_PREPROCESSING, NORMALIZATIONS, IMAGENET_MEAN, IMAGENET_STD,
} from './pipeline-worker';
export type { Preprocessing, Normalization } from '../data/types';

/** Configuration of a {@link PairPipeline}. JSON data (the policy is stored resolved). */
export interface PipelineConfig {
  /** Pairs per batch. */
  readonly batchSize: number;
  /** What the model wants: size, channels, normalisation. */
  readonly preprocessing: Preprocessing;
  /** The augmentation policy (a preset name such as `'siamese-cnn'`, `'default'`, `'none'`, or a policy). */
  readonly augment: AugmentPolicy;
  /** Seed of the shuffles and the augmentation. */
  readonly seed: number;
  /** Shuffle each epoch (false: the pair list's order). */
  readonly shuffle: boolean;
  /** Drop the last, smaller batch of an epoch. */
  readonly dropLast: boolean;
  /** How many batches to make ahead of the one being consumed (0: make each when asked). */
  readonly prefetch: number;
  /** Make batches in a worker thread (true) or on the calling thread (false). */
  readonly worker: boolean;
}

/** A config as written by hand: anything may be left out; `augment` may be a preset name. */
export type PipelineConfigInput = Partial<Omit<PipelineConfig, 'augment' | 'preprocessing'>> & {
  readonly augment?: string | AugmentPolicyInput;
  readonly preprocessing?: Partial<Preprocessing>;
};

export const DEFAULT_PIPELINE: Readonly<PipelineConfig> = Object.freeze({
  batchSize: 32,
  preprocessing: DEFAULT_PREPROCESSING,
  augment: resolvePolicy('none'),
  seed: 0,
  shuffle: true,
  dropLast: false,
  prefetch: 2,
  worker: true,
});

const PIPELINE_FIELDS = Object.keys(DEFAULT_PIPELINE);

/** Merges `partial` over {@link DEFAULT_PIPELINE} and checks it; errors name the bad value. */
export function resolvePipelineConfig(partial: PipelineConfigInput = {}): PipelineConfig {
  for (const key of Object.keys(partial)) {
    if (!PIPELINE_FIELDS.includes(key)) throw new RangeError(`pipeline: unknown option ${JSON.stringify(key)} (known: ${PIPELINE_FIELDS.join(', ')})`);
  }
  const c = { ...DEFAULT_PIPELINE, ...partial };
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) throw new RangeError(`pipeline batchSize must be a positive integer, got ${JSON.stringify(c.batchSize)}`);
  if (!Number.isInteger(c.seed)) throw new RangeError(`pipeline seed must be an integer, got ${JSON.stringify(c.seed)}`);
  if (typeof c.shuffle !== 'boolean') throw new RangeError(`pipeline shuffle must be true or false, got ${JSON.stringify(c.shuffle)}`);
  if (typeof c.dropLast !== 'boolean') throw new RangeError(`pipeline dropLast must be true or false, got ${JSON.stringify(c.dropLast)}`);
  if (!Number.isInteger(c.prefetch) || c.prefetch < 0 || c.prefetch > 64) throw new RangeError(`pipeline prefetch must be an integer in [0, 64], got ${JSON.stringify(c.prefetch)}`);
  if (typeof c.worker !== 'boolean') throw new RangeError(`pipeline worker must be true or false, got ${JSON.stringify(c.worker)}`);
  return {
    batchSize: c.batchSize,
    preprocessing: resolvePreprocessing(c.preprocessing),
    augment: resolvePolicy(c.augment as string | AugmentPolicyInput),
    seed: c.seed,
    shuffle: c.shuffle,
    dropLast: c.dropLast,
    prefetch: c.prefetch,
    worker: c.worker,
  };
}

/** Where a pipeline is: the next batch it will hand out. */
export interface PipelinePosition {
  readonly epoch: number;
  readonly batch: number;
}

/** A pipeline's saved position, plus what it must match on restore. JSON data. */
export interface PipelineState extends PipelinePosition {
  readonly version: 1;
  readonly seed: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly numPairs: number;
  /** A hash of the pair list (order and content). */
  readonly pairsHash: string;
}

/** One batch. The tensors belong to whoever received the batch from `next()`; `dispose()` frees them. */
export interface PairBatch {
  /** Left images `[n, size, size, channels]`. */
  readonly a: tf.Tensor4D;
  /** Right images. */
  readonly b: tf.Tensor4D;
  /** 1 = same person, float32 `[n]`. */
  readonly isSame: tf.Tensor1D;
  readonly pairs: readonly Pair[];
  /** Each image's augmentation (`a` images then `b` images), or null without augmentation. */
  readonly params: readonly AugmentParams[] | null;
  readonly epoch: number;
  /** The batch's index within its epoch. */
  readonly index: number;
  /** Wall-clock times (ms) the batch's production started and finished, on whichever thread made it. */
  readonly startedAt: number;
  readonly finishedAt: number;
  dispose(): void;
}

/**
 * An epoch's pairs by their distinct images ({@link PairPipeline.distinctImages}): image `a[i]` and image `b[i]` of the
 * `count` distinct images make pair `pairs[i]` (the epoch's pairs in the order `epoch()` hands them out).
 */
export interface DistinctImages {
  readonly pairs: readonly Pair[];
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly count: number;
  /**
   * The distinct images in index order, `perBatch` at a time (`[n, size, size, channels]`, preprocessed as `epoch()`'s
   * batches), each disposed when the loop moves on or leaves; having yielded the last, the pipeline is at the next
   * epoch, as after `epoch()`.
   */
  images(perBatch: number): AsyncGenerator<tf.Tensor4D, void, undefined>;
}

/** Where time went so far (milliseconds). */
export interface PipelineStats {
  /** Batches handed out. */
  batches: number;
  /** Time `next()` spent waiting for a batch that was not ready (the consumer stalled on data). */
  waitMs: number;
  /** Time spent making the handed-out batches (decode and augment), on whichever thread made them. */
  decodeMs: number;
  augmentMs: number;
  /** Time spent turning arrays into tensors on the calling thread. */
  tensorMs: number;
  /** The worker's backend (null before it reported, or without a worker). */
  workerBackend: string | null;
}

/** Options of {@link createPairPipeline}. */
export interface CreatePipelineOptions {
  /** Continue where a saved pipeline stopped (its `state()`). */
  readonly resume?: PipelineState;
}

function pairsHashOf(pairs: readonly Pair[]): string {
  const h = hash128(pairs.map((p) => `${refKey(p.a)}\t${refKey(p.b)}\t${p.isSame}`).join('\n'));
  return h.map((w) => w.toString(16).padStart(8, '0')).join('');
}

interface Pending {
  readonly promise: Promise<ProducedBatch>;
  readonly indices: readonly number[];
  readonly pairs: readonly Pair[];
  readonly params: readonly AugmentParams[] | null;
}

/** The worker entry point: the compiled file, or the TypeScript source run through tsx (tests, benchmarks). */
function startWorker(data: PipelineWorkerData): Worker {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `pipeline-worker${ext}`);
  if (ext === '.ts') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tsx = require.resolve('tsx/cjs');
    return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(file)});`, { eval: true, workerData: data });
  }
  return new Worker(file, { workerData: data });
}

/**
 * Batches of pairs; see the module comment. Create with {@link createPairPipeline}; `close()` when done
 * (it stops the worker).
 */
export class PairPipeline {
  readonly config: PipelineConfig;
  /** The fixed pair list (empty when an {@link IdentitySampler} draws each epoch's pairs: see {@link epochPairs}). */
  readonly pairs: readonly Pair[];
  /** The identity sampler that draws each epoch, or null for a fixed pair list. */
  readonly sampler: IdentitySampler | null;
  /** Pairs per epoch. */
  readonly numPairs: number;
  readonly batchesPerEpoch: number;
  readonly stats: PipelineStats = { batches: 0, waitMs: 0, decodeMs: 0, augmentMs: 0, tensorMs: 0, workerBackend: null };
  private readonly producer: ProducerConfig;
  private readonly dataset: Dataset;
  private readonly hash: string;
  private readonly backendName: PipelineWorkerData['backend'];
  private pos: PipelinePosition;
  private readonly pending = new Map<string, Pending>();
  private readonly orders = new Map<number, readonly number[]>();
  private readonly drawn = new Map<number, readonly Pair[]>();
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, { resolve: (b: ProducedBatch) => void; reject: (e: Error) => void }>();
  private workerFailure: Error | null = null;
  private nextJobId = 1;
  private localCache: DecodeCache | null | undefined;
  private localMemory: MemoryDecodeCache | undefined;
  private closed = false;
  private busy = false;

  /** @internal use {@link createPairPipeline} or {@link createIdentityPipeline} */
  constructor(pairs: readonly Pair[] | IdentitySampler, dataset: Dataset, config: PipelineConfig, backend: PipelineWorkerData['backend'], options: CreatePipelineOptions = {}) {
    this.config = config;
    this.sampler = pairs instanceof IdentitySampler ? pairs : null;
    this.pairs = pairs instanceof IdentitySampler ? [] : pairs;
    this.dataset = dataset;
    this.backendName = backend;
    const n = this.sampler ? this.sampler.pairsPerEpoch : this.pairs.length;
    this.numPairs = n;
    this.batchesPerEpoch = config.dropLast ? Math.floor(n / config.batchSize) : Math.ceil(n / config.batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new RangeError(`pipeline: ${n} pairs make no batch of ${config.batchSize}${config.dropLast ? ' with dropLast' : ''}`);
    }
    this.hash = this.sampler ? this.sampler.hash() : pairsHashOf(this.pairs);
    this.producer = {
      load: resolveLoadOptions({ size: config.preprocessing.size, channels: config.preprocessing.channels, crop: dataset.crop }),
      cacheDir: dataset.cache ? dataset.cache.dir : null,
      memoryBytes: pipelineMemoryBudget(),
      maxPixels: dataset.maxPixels,
      normalization: config.preprocessing.normalization,
      apply: applyOptions(config.augment),
    };
    this.pos = { epoch: 0, batch: 0 };
    if (options.resume) this.pos = this.checkResume(options.resume);
  }

  private checkResume(s: PipelineState): PipelinePosition {
    const want: Record<string, unknown> = {
      version: 1, seed: this.config.seed, batchSize: this.config.batchSize, shuffle: this.config.shuffle,
      dropLast: this.config.dropLast, numPairs: this.numPairs, pairsHash: this.hash,
    };
    for (const [key, value] of Object.entries(want)) {
      if ((s as unknown as Record<string, unknown>)[key] !== value) {
        throw new RangeError(`pipeline resume: the saved state has ${key} = ${JSON.stringify((s as unknown as Record<string, unknown>)[key])}, this pipeline has ${JSON.stringify(value)}`);
      }
    }
    if (!Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.batch) || s.batch < 0 || s.batch >= this.batchesPerEpoch) {
      throw new RangeError(`pipeline resume: position epoch ${s.epoch}, batch ${s.batch} is not valid (batches per epoch: ${this.batchesPerEpoch})`);
    }
    return { epoch: s.epoch, batch: s.batch };
  }

  /** The next batch to be handed out. */
  get position(): PipelinePosition {
    return this.pos;
  }

  /** The saved form of the position; pass it as `{resume}` to continue exactly here. */
  state(): PipelineState {
    return {
      version: 1, epoch: this.pos.epoch, batch: this.pos.batch, seed: this.config.seed, batchSize: this.config.batchSize,
      shuffle: this.config.shuffle, dropLast: this.config.dropLast, numPairs: this.numPairs, pairsHash: this.hash,
    };
  }

  /** Epoch `e`'s pairs: the fixed list, or the ones the identity sampler draws for `e` (in its order). */
  epochPairs(e: number): readonly Pair[] {
    if (!this.sampler) return this.pairs;
    let pairs = this.drawn.get(e);
    if (!pairs) {
      pairs = this.sampler.epoch(e);
      this.drawn.set(e, pairs);
      for (const k of this.drawn.keys()) if (k < e - 1) this.drawn.delete(k);
    }
    return pairs;
  }

  /**
   * Epoch `e`'s order of pair indices (into {@link epochPairs}). An identity sampler's epoch is already in its
   * random order (and a P×K epoch's batches must stay together), so it is kept as drawn.
   */
  epochOrder(e: number): readonly number[] {
    let order = this.orders.get(e);
    if (!order) {
      const idx = Array.from({ length: this.numPairs }, (_, i) => i);
      order = this.config.shuffle && !this.sampler ? stream(this.config.seed, 'shuffle').fork(`epoch-${e}`).shuffle(idx) : idx;
      this.orders.set(e, order);
      for (const k of this.orders.keys()) if (k < e - 1) this.orders.delete(k);
    }
    return order;
  }

  private advance(p: PipelinePosition): PipelinePosition {
    return p.batch + 1 < this.batchesPerEpoch ? { epoch: p.epoch, batch: p.batch + 1 } : { epoch: p.epoch + 1, batch: 0 };
  }

  private key(p: PipelinePosition): string {
    return `${p.epoch}.${p.batch}`;
  }

  private ensureWorker(): Worker {
    if (this.workerFailure) throw this.workerFailure;
    if (this.worker) return this.worker;
    const w = startWorker({ siamesePipelineWorker: true, producer: this.producer, backend: this.backendName, nice: pipelineNice() });
    w.unref();
    w.on('message', (msg: WorkerReply) => {
      if (msg.type === 'ready') {
        this.stats.workerBackend = msg.backend;
        return;
      }
      const id = msg.type === 'done' ? msg.batch.id : msg.id;
      const waiter = this.waiting.get(id);
      if (!waiter) return;
      this.waiting.delete(id);
      if (this.waiting.size === 0) w.unref();
      if (msg.type === 'done') waiter.resolve(msg.batch);
      else waiter.reject(new Error(msg.message));
    });
    const fail = (err: Error): void => {
      this.workerFailure = new Error(`pipeline worker stopped: ${err.message}`);
      for (const waiter of this.waiting.values()) waiter.reject(this.workerFailure);
      this.waiting.clear();
      this.worker = null;
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      if (!this.closed && this.workerFailure === null) fail(new Error(`exited with code ${code}`));
    });
    this.worker = w;
    return w;
  }

  private produce(job: BatchJob): Promise<ProducedBatch> {
    if (!this.config.worker) {
      if (this.localCache === undefined) this.localCache = this.producer.cacheDir === null ? null : new DecodeCache(this.producer.cacheDir);
      this.localMemory ??= new MemoryDecodeCache(this.producer.memoryBytes);
      return produceBatch(job, this.producer, this.localCache, this.localMemory);
    }
    const w = this.ensureWorker();
    return new Promise<ProducedBatch>((resolve, reject) => {
      this.waiting.set(job.id, { resolve, reject });
      w.ref();
      w.postMessage(job satisfies ToPipelineWorker);
    });
  }

  /** Starts making batch `p` unless it is already under way. */
  private request(p: PipelinePosition): Pending {
    const k = this.key(p);
    const existing = this.pending.get(k);
    if (existing) return existing;
    const order = this.epochOrder(p.epoch);
    const start = p.batch * this.config.batchSize;
    const indices = order.slice(start, Math.min(start + this.config.batchSize, order.length));
    const policy = this.config.augment;
    const params = policy.p > 0 && policy.transforms.length > 0
      ? samplePolicy(policy, 2 * indices.length, stream(this.config.seed, 'augment').fork(`${p.epoch}.${p.batch}`))
      : null;
    const epochPairs = this.epochPairs(p.epoch);
    const pairs = indices.map((i) => epochPairs[i]);
    const paths = [...pairs.map((x) => this.dataset.path(x.a)), ...pairs.map((x) => this.dataset.path(x.b))];
    const promise = this.produce({ id: this.nextJobId++, paths, params });
    promise.catch(() => undefined); // reported when the batch is asked for, not as an unhandled rejection
    const entry = { promise, indices, pairs, params };
    this.pending.set(k, entry);
    return entry;
  }

  private requestAhead(): void {
    let p = this.pos;
    for (let i = 0; i <= this.config.prefetch; i++) {
      this.request(p);
      p = this.advance(p);
    }
  }

  /**
   * The next batch (crossing into the next epoch after the last batch of one). The caller owns its
   * tensors. On a decode error the error names the file, and the position does not move.
   */
  async next(): Promise<PairBatch> {
    if (this.closed) throw new Error('pipeline is closed');
    if (this.busy) throw new Error('pipeline.next() was called again before the previous call finished; await each batch in turn');
    this.busy = true;
    try {
      return await this.nextBatch();
    } finally {
      this.busy = false;
    }
  }

  private async nextBatch(): Promise<PairBatch> {
    const at = this.pos;
    const entry = this.request(at);
    this.requestAhead();
    const t0 = performance.now();
    let made: ProducedBatch;
    try {
      made = await entry.promise;
    } catch (err) {
      this.pending.delete(this.key(at));
      throw err;
    } finally {
      this.stats.waitMs += performance.now() - t0;
    }
    this.pending.delete(this.key(at));
    this.pos = this.advance(at);
    this.requestAhead(); // keep the producer busy while the caller trains on this batch
    const t1 = performance.now();
    const n = entry.indices.length;
    const { size, channels } = this.config.preprocessing;
    const per = size * size * channels;
    const a = tf.tensor4d(made.data.subarray(0, n * per), [n, size, size, channels], 'float32');
    const b = tf.tensor4d(made.data.subarray(n * per, 2 * n * per), [n, size, size, channels], 'float32');
    const batchPairs = entry.pairs;
    const isSame = tf.tensor1d(batchPairs.map((p) => p.isSame as IsSame), 'float32');
    this.stats.tensorMs += performance.now() - t1;
    this.stats.batches++;
    this.stats.decodeMs += made.decodeMs;
    this.stats.augmentMs += made.augmentMs;
    let disposed = false;
    return {
      a, b, isSame, pairs: batchPairs, params: entry.params, epoch: at.epoch, index: at.batch,
      startedAt: made.startedAt, finishedAt: made.finishedAt,
      dispose: () => {
        if (disposed) return;
        disposed = true;
        tf.dispose([a, b, isSame]);
      },
    };
  }

  /**
   * The current epoch's pairs by their distinct images, for scoring pairs from per-image outputs: an embedding
   * network in inference mode gives an image the same embedding whichever pair it is in, so each image need only be
   * embedded once (the default experiment's 400 validation pairs have 205 distinct images, its 400 test pairs 242).
   * See {@link DistinctImages}. Null where a batch is not a function of its images alone: with augmentation (drawn
   * per pair slot), or when the epoch has begun (the position is not at a batch 0).
   */
  distinctImages(): DistinctImages | null {
    if (this.closed) throw new Error('pipeline is closed');
    const policy = this.config.augment;
    if ((policy.p > 0 && policy.transforms.length > 0) || this.pos.batch !== 0) return null;
    const e = this.pos.epoch;
    const all = this.epochPairs(e);
    const order = this.epochOrder(e).slice(0, this.batchesPerEpoch * this.config.batchSize);
    const pairs = order.map((i) => all[i]);
    const index = new Map<string, number>();
    const paths: string[] = [];
    const slot = (ref: Pair['a']): number => {
      const k = refKey(ref);
      let i = index.get(k);
      if (i === undefined) {
        i = paths.length;
        index.set(k, i);
        paths.push(this.dataset.path(ref));
      }
      return i;
    };
    const a = Int32Array.from(pairs, (p) => slot(p.a));
    const b = Int32Array.from(pairs, (p) => slot(p.b));
    const { size, channels } = this.config.preprocessing;
    const images = async function* (this: PairPipeline, perBatch: number): AsyncGenerator<tf.Tensor4D, void, undefined> {
      if (!Number.isInteger(perBatch) || perBatch < 1) throw new RangeError(`distinctImages: images per batch must be a positive integer, got ${perBatch}`);
      if (this.pos.epoch !== e || this.pos.batch !== 0) throw new Error(`distinctImages: the pipeline moved (epoch ${this.pos.epoch}, batch ${this.pos.batch}) since epoch ${e}'s images were listed`);
      if (this.busy) throw new Error('pipeline: distinctImages() while a batch is being made; await each batch in turn');
      for (const k of [...this.pending.keys()]) if (k.startsWith(`${e}.`)) this.pending.delete(k);
      const job = (from: number) => {
        const promise = this.produce({ id: this.nextJobId++, paths: paths.slice(from, from + perBatch), params: null });
        promise.catch(() => undefined); // reported when the batch is reached
        return promise;
      };
      let made = paths.length > 0 ? job(0) : null;
      for (let from = 0; made !== null; from += perBatch) {
        const t0 = performance.now();
        const batch = await made;
        this.stats.waitMs += performance.now() - t0;
        made = from + perBatch < paths.length ? job(from + perBatch) : null;
        const n = Math.min(perBatch, paths.length - from);
        const x = tf.tensor4d(batch.data, [n, size, size, channels], 'float32');
        this.stats.decodeMs += batch.decodeMs;
        try {
          yield x;
        } finally {
          x.dispose();
        }
      }
      this.pos = { epoch: e + 1, batch: 0 };
    };
    return { pairs, a, b, count: paths.length, images: (perBatch: number) => images.call(this, perBatch) };
  }

  /**
   * The remaining batches of the current epoch. Each batch is disposed when the loop asks for the next
   * one or leaves (break, return, throw), so a `for await` body must not keep its tensors.
   */
  async *epoch(): AsyncGenerator<PairBatch, void, undefined> {
    const e = this.pos.epoch;
    while (this.pos.epoch === e) {
      const batch = await this.next();
      try {
        yield batch;
      } finally {
        batch.dispose();
      }
    }
  }

  /** Stops the worker and forgets prefetched batches (no tensors are held between batches). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    for (const waiter of this.waiting.values()) waiter.reject(new Error('pipeline closed'));
    this.waiting.clear();
    if (this.worker) await stopWorker(this.worker, { type: 'close' } satisfies ToPipelineWorker);
    this.worker = null;
  }

  /** A one-line description for logs and notebooks. */
  describe(): string {
    const c = this.config;
    const pp = c.preprocessing;
    return `${this.sampler ? `${this.sampler.describe()}; ` : ''}${this.numPairs} pairs, ${this.batchesPerEpoch} batches of ${c.batchSize} per epoch, ${pp.size}x${pp.size}x${pp.channels} ${pp.normalization}, ` +
      `augment ${c.augment.name}, seed ${c.seed}, ${c.worker ? `worker thread, prefetch ${c.prefetch}` : 'same thread'}`;
  }

  /** Milliseconds since the epoch (comparable with a batch's `startedAt`/`finishedAt`). */
  static now(): number {
    return wallClock();
  }
}

/**
 * Creates a pipeline over `pairs` (a PairList or a list of pairs) from `dataset`. Every image must be in
 * the dataset; the error names the first missing one and where its pair came from. Initialises the
 * backend if nothing has yet.
 */
export async function createPairPipeline(pairs: PairList | readonly Pair[], dataset: Dataset, config: PipelineConfigInput = {},
  options: CreatePipelineOptions = {}): Promise<PairPipeline> {
  const cfg = resolvePipelineConfig(config);
  const list = Array.isArray(pairs) ? (pairs as readonly Pair[]) : (pairs as PairList).pairs;
  const sources = Array.isArray(pairs) ? null : (pairs as PairList).sources;
  if (list.length === 0) throw new RangeError('pipeline: the pair list is empty');
  list.forEach((p, i) => {
    for (const ref of [p.a, p.b]) {
      if (!dataset.has(ref)) {
        const where = sources ? `${sources[i].file}:${sources[i].line}` : `pair ${i}`;
        throw new RangeError(`${where}: image ${refKey(ref)} is not in dataset ${dataset.root}`);
      }
    }
  });
  const info = await initBackend({ quiet: true });
  return new PairPipeline(list, dataset, cfg, info.name, options);
}

/**
 * Creates a pipeline whose epochs `sampler` draws fresh from the training people (see
 * lib/pipeline/identity-sampler.ts) instead of a fixed pair list. The pipeline's `batchSize` must be the
 * sampler's (a P×K batch is one batch); `shuffle` does not apply (the sampler's epochs are already in random
 * order). Resuming checks the sampler's identity (`pairsHash`) as it checks a pair list's.
 */
export async function createIdentityPipeline(sampler: IdentitySampler, dataset: Dataset, config: PipelineConfigInput = {},
  options: CreatePipelineOptions = {}): Promise<PairPipeline> {
  const cfg = resolvePipelineConfig({ batchSize: sampler.batchSize, ...config });
  if (cfg.batchSize !== sampler.batchSize) {
    throw new RangeError(`pipeline batchSize ${cfg.batchSize} differs from the identity sampler's ${sampler.batchSize}; give both the same`);
  }
  const info = await initBackend({ quiet: true });
  return new PairPipeline(sampler, dataset, cfg, info.name, options);
}
