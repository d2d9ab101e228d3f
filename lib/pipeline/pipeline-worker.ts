/**
 * The batch producer of the pair pipeline: decode a batch's images (through the decode cache), augment
 * them, normalise them for the model, and hand back one Float32Array. It runs in a worker thread (this
 * file is the worker's entry point) so that the next batches are made on the other core while the main
 * thread trains; with `worker: false` the same function runs on the main thread.
 *
 * The producer never decides anything random: the main thread sends each image's augmentation params,
 * so a batch's pixels do not depend on which thread made it or when.
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
import * as os from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { applyAugment, type ApplyOptions } from '../augment/apply';
import type { AugmentParams } from '../augment/params';
import { initBackend, type BackendName } from '../backend';
import { DecodeCache, MemoryDecodeCache } from '../data/cache';
import { decodeImage, type LoadOptions } from '../data/image';
import type { Channels, Normalization, Preprocessing } from '../data/types';
import { jobQueue } from '../util/worker-entry';

/** The normalisations: [0, 1]; [-1, 1]; 0-255; ImageNet mean/std per channel. */
export const NORMALIZATIONS: readonly Normalization[] = ['zeroOne', 'minusOneOne', 'byte', 'imagenet'];

/** ImageNet's per-channel mean and standard deviation (RGB, pixels in [0, 1]). */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

export const DEFAULT_PREPROCESSING: Readonly<Preprocessing> = Object.freeze({ size: 64, channels: 3 as Channels, normalization: 'zeroOne' as Normalization });

/** Merges `partial` over {@link DEFAULT_PREPROCESSING} and checks it; errors name the bad value. */
export function resolvePreprocessing(partial: Partial<Preprocessing> = {}): Preprocessing {
  const c = { ...DEFAULT_PREPROCESSING, ...partial };
  if (!Number.isInteger(c.size) || c.size < 1 || c.size > 4096) throw new RangeError(`preprocessing size must be an integer in [1, 4096], got ${JSON.stringify(c.size)}`);
  if (c.channels !== 1 && c.channels !== 3) throw new RangeError(`preprocessing channels must be 1 or 3, got ${JSON.stringify(c.channels)}`);
  if (!NORMALIZATIONS.includes(c.normalization)) throw new RangeError(`preprocessing normalization must be one of ${NORMALIZATIONS.join(', ')}, got ${JSON.stringify(c.normalization)}`);
  return { size: c.size, channels: c.channels, normalization: c.normalization };
}

/**
 * Maps images in [0, 1] (`[n, h, w, c]`) to the model's range. For one channel, ImageNet uses the mean of
 * the three means and of the three stds. Returns a new tensor; `images` is not disposed.
 */
export function normalizeImages(images: tf.Tensor4D, normalization: Normalization): tf.Tensor4D {
  return tf.tidy(() => {
    switch (normalization) {
      case 'zeroOne': return tf.clone(images);
      case 'minusOneOne': return tf.sub(tf.mul(images, 2), 1) as tf.Tensor4D;
      case 'byte': return tf.mul(images, 255) as tf.Tensor4D;
      case 'imagenet': {
        const c = images.shape[3];
        const avg = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
        const mean = c === 3 ? [...IMAGENET_MEAN] : [avg(IMAGENET_MEAN)];
        const std = c === 3 ? [...IMAGENET_STD] : [avg(IMAGENET_STD)];
        return tf.div(tf.sub(images, tf.tensor1d(mean)), tf.tensor1d(std)) as tf.Tensor4D;
      }
      default: throw new RangeError(`normalizeImages: unknown normalization ${JSON.stringify(normalization)}`);
    }
  });
}

/** Everything the producer needs once: how to decode, augment and normalise. Plain data (sent to the worker). */
export interface ProducerConfig {
  readonly load: LoadOptions;
  /** The decode cache folder, or null to decode every time. */
  readonly cacheDir: string | null;
  /** Bytes of decoded pixels the producer keeps in memory ({@link MemoryDecodeCache}; 0: none). */
  readonly memoryBytes: number;
  readonly maxPixels: number;
  readonly normalization: Normalization;
  readonly apply: ApplyOptions;
}

/** One batch to make: image paths (all `a` images, then all `b` images) and each image's params (null: no augmentation). */
export interface BatchJob {
  readonly id: number;
  readonly paths: readonly string[];
  readonly params: readonly AugmentParams[] | null;
}

/** A made batch: `[paths.length, size, size, channels]` float32 values and where the time went. */
export interface ProducedBatch {
  readonly id: number;
  readonly data: Float32Array;
  /** Wall-clock times (ms since the epoch, comparable across threads) the batch was started and finished. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly decodeMs: number;
  readonly augmentMs: number;
}

/** Wall-clock milliseconds, comparable between threads. */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** Makes one batch (see the module comment). Decodes up to 8 images at a time. */
export async function produceBatch(job: BatchJob, cfg: ProducerConfig, cache: DecodeCache | null, memory: MemoryDecodeCache | null = null): Promise<ProducedBatch> {
  const startedAt = wallClock();
  const n = job.paths.length;
  const { size, channels } = cfg.load;
  const per = size * size * channels;
  const bytes = new Uint8Array(n * per);
  let next = 0;
  const decodeOne = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const file = job.paths[i];
      const load = () => (cache ? cache.load(file, cfg.load, cfg.maxPixels) : decodeImage(file, cfg.load, cfg.maxPixels));
      const img = memory ? await memory.load(file, cfg.load, load) : await load();
      if (img.data.length !== per) throw new RangeError(`${job.paths[i]}: decoded to ${img.width}x${img.height}x${img.channels}, expected ${size}x${size}x${channels}`);
      bytes.set(img.data, i * per);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, n) }, decodeOne));
  const decodedAt = wallClock();
  const out = tf.tidy(() => {
    const x = tf.mul(tf.tensor4d(new Float32Array(bytes), [n, size, size, channels], 'float32'), 1 / 255) as tf.Tensor4D;
    const aug = job.params ? applyAugment(x, job.params, cfg.apply) : x;
    return normalizeImages(aug, cfg.normalization);
  });
  // read at once: no tensor of this batch is alive across an await (batches made ahead on the calling thread
  // interleave with its steps)
  const data = out.dataSync() as Float32Array;
  out.dispose();
  const finishedAt = wallClock();
  return { id: job.id, data, startedAt, finishedAt, decodeMs: decodedAt - startedAt, augmentMs: finishedAt - decodedAt };
}

/** Messages to the worker: a batch to make, or `close` (finish the batch in hand, skip the rest, end the thread). */
export type ToPipelineWorker = BatchJob | { readonly type: 'close' };

/** Messages from the worker. */
export type WorkerReply =
  | { readonly type: 'ready'; readonly backend: string }
  | { readonly type: 'done'; readonly batch: ProducedBatch }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** The `workerData` a pipeline worker is started with. */
export interface PipelineWorkerData {
  readonly siamesePipelineWorker: true;
  readonly producer: ProducerConfig;
  /** The main thread's backend, so both threads compute alike (null: choose as `initBackend` does). */
  readonly backend: BackendName | null;
  /** The niceness the worker gives its own thread ({@link pipelineNice}, read and checked on the calling thread). */
  readonly nice: number;
}

/**
 * The niceness the worker thread gives itself (`SIAMESE_PIPELINE_NICE`, default 10; 0 leaves it as is): on a
 * machine with as many cores as training threads, the worker then runs in the training threads' waits (their
 * handshakes, the queue running low) instead of pre-empting one of them while the other waits for it. Linux
 * keeps niceness per thread; elsewhere, or where it is refused, nothing changes.
 */
export function pipelineNice(value: string | undefined = process.env.SIAMESE_PIPELINE_NICE): number {
  const v = (value ?? '').trim();
  if (v === '') return 10;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new RangeError(`SIAMESE_PIPELINE_NICE=${JSON.stringify(value)}: use an integer from 0 (off) to 19`);
  return n;
}

function lowerThreadPriority(nice: number): void {
  if (nice === 0 || process.platform !== 'linux') return;
  try {
    os.setPriority(0, Math.max(os.getPriority(0), nice)); // pid 0: on Linux, this thread only
  } catch {
    // refused (a container without the right): run at normal priority
  }
}

async function runWorker(data: PipelineWorkerData): Promise<void> {
  const port = parentPort;
  if (!port) return;
  lowerThreadPriority(data.nice);
  const info = await initBackend({ quiet: true, ...(data.backend ? { backend: data.backend } : {}) });
  const cache = data.producer.cacheDir === null ? null : new DecodeCache(data.producer.cacheDir);
  const memory = new MemoryDecodeCache(data.producer.memoryBytes);
  port.postMessage({ type: 'ready', backend: info.name } satisfies WorkerReply);
  // Jobs are made one at a time, in the order they arrive; on close the thread ends itself once the batch in hand is
  // made, so no file read is cut off (see stopWorker).
  const jobs = jobQueue();
  port.on('message', (msg: ToPipelineWorker) => {
    if ('type' in msg) {
      jobs.close();
      return;
    }
    const job = msg;
    jobs.add(async () => {
      try {
        const batch = await produceBatch(job, data.producer, cache, memory);
        port.postMessage({ type: 'done', batch } satisfies WorkerReply, [batch.data.buffer as ArrayBuffer]);
      } catch (err) {
        port.postMessage({ type: 'error', id: job.id, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
      }
    });
  });
}

if (!isMainThread && (workerData as Partial<PipelineWorkerData> | null)?.siamesePipelineWorker === true) {
  void runWorker(workerData as PipelineWorkerData);
}
