/**
 * Data-parallel gradients over two cores: the calling thread and one `worker_threads` helper, each with
 * its own tfjs wasm backend and its own copy of the model. Each step the batch is split in two halves
 * along axis 0; the calling thread computes the gradient of its half while the helper computes the other
 * half's; the two are averaged in a fixed order ((mine + helper's) / 2), so results are deterministic. The
 * helper's weights are refreshed from the caller's variables at the start of every step (through a
 * SharedArrayBuffer), so the caller's optimizer stays the only one; batch-norm statistics are per half
 * batch, and only the caller's moving statistics are kept.
 *
 * The model comes from a replica module (an absolute path, .ts under tsx or .js) whose export
 * `createReplica(options)` returns `{ variables, loss(inputs) }` and builds the same variables, in the same
 * order, on both threads. With a mean-over-examples loss the averaged gradient is the full batch's
 * gradient (up to batch-norm statistics).
 *
 * ```ts
 * const dp = await DataParallel.start({ module: require.resolve('./replica'), options: { inputSize: 64 } });
 * const { value, grads } = await dp.variableGrads(replica.loss, [x, isSame], replica.variables);
 * opt.apply(grads, lr);  // as with tf.variableGrads
 * await dp.close();
 * ```
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';

/** What a replica module's `createReplica(options)` returns. */
export interface Replica {
  /** The trainable variables, in a fixed order (the same on every thread). */
  readonly variables: readonly tf.Variable[];
  /** The scalar loss of a batch (`inputs` as given to `variableGrads`, each cut to a half along axis 0). */
  loss(inputs: readonly tf.Tensor[]): tf.Scalar;
}

/** How to start the helper. */
export interface DataParallelConfig {
  /** Absolute path of the replica module. */
  readonly module: string;
  /** JSON-serialisable options passed to `createReplica` on the helper. */
  readonly options?: unknown;
  /** Backend of the helper (default wasm, which registers the project's kernels). */
  readonly backend?: 'wasm' | 'cpu';
}

interface Layout {
  readonly sizes: number[];
  readonly total: number;
}

/** Messages to the helper. */
type ToHelper = { kind: 'step'; inputs: { shape: number[]; dtype: tf.DataType; values: Float32Array | Int32Array }[] } | { kind: 'close' };

/**
 * A running helper thread; see the module doc.
 * @see notebooks/05-training-runs.ipynb
 */
export class DataParallel {
  private closed = false;

  private constructor(private readonly worker: Worker, private readonly layout: Layout,
    private readonly weights: Float32Array, private readonly grads: Float32Array) {}

  /** Starts the helper and builds its replica; resolves once it is ready. */
  static async start(config: DataParallelConfig): Promise<DataParallel> {
    const entry = __filename.endsWith('.ts')
      ? `require('tsx/cjs'); require(${JSON.stringify(require.resolve('./data-parallel-helper.ts'))});`
      : `require(${JSON.stringify(require.resolve('./data-parallel-helper.js'))});`;
    const worker = new Worker(entry, { eval: true, workerData: { module: config.module, options: config.options ?? null, backend: config.backend ?? 'wasm' } });
    const ready = await new Promise<{ sizes: number[]; weights: SharedArrayBuffer; grads: SharedArrayBuffer }>((resolve, reject) => {
      worker.once('message', (m: { sizes: number[]; weights: SharedArrayBuffer; grads: SharedArrayBuffer; error?: string }) => {
        if (m.error !== undefined) {
          void worker.terminate();
          reject(new Error(`DataParallel: the helper failed to start: ${m.error}`));
        } else resolve(m);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`DataParallel: the helper thread exited (code ${code}) before it was ready`)));
    });
    const total = ready.sizes.reduce((a, b) => a + b, 0);
    return new DataParallel(worker, { sizes: ready.sizes, total }, new Float32Array(ready.weights), new Float32Array(ready.grads));
  }

  /**
   * Like `tf.variableGrads(() => loss(inputs), variables)`, with the batch split between this thread and
   * the helper: `value` is the mean of the two halves' losses, `grads` (keyed by variable name) the mean of
   * their gradients. The caller owns the returned tensors; inputs are not disposed. Every input must have
   * an even size along axis 0.
   */
  async variableGrads(loss: (inputs: readonly tf.Tensor[]) => tf.Scalar, inputs: readonly tf.Tensor[],
    variables: readonly tf.Variable[]): Promise<{ value: tf.Scalar; grads: tf.NamedTensorMap }> {
    if (this.closed) throw new Error('DataParallel: variableGrads after close()');
    const { sizes } = this.layout;
    if (variables.length !== sizes.length || variables.some((v, i) => v.size !== sizes[i])) {
      throw new Error(`DataParallel: ${variables.length} variables of sizes [${variables.map((v) => v.size)}] do not match the helper's replica ` +
        `[${sizes}]`);
    }
    for (const t of inputs) {
      if (t.shape[0] % 2 !== 0) throw new Error(`DataParallel: input of shape [${t.shape}] has an odd batch size; it must split in two halves`);
    }
    // The helper starts from this thread's current weights.
    let off = 0;
    variables.forEach((v, i) => {
      this.weights.set(v.dataSync() as Float32Array, off);
      off += sizes[i];
    });
    // Only the helper's half is read out (a 224 px batch is 19 MB), and its buffer is moved, not cloned.
    // wasm's dataSync returns a fresh copy; other backends may return their own storage, so copy it first.
    const fresh = tf.getBackend() === 'wasm';
    const halves = inputs.map((t) => {
      const n = t.shape[0] / 2;
      const half = tf.slice(t, n);
      const data = half.dataSync() as Float32Array | Int32Array;
      const values = fresh ? data : data.slice();
      half.dispose();
      return { shape: half.shape, dtype: t.dtype, values };
    });
    const reply = new Promise<{ loss: number }>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.worker.once('message', (m: { loss?: number; error?: string }) => {
        this.worker.off('error', onError);
        if (m.error !== undefined) reject(new Error(`DataParallel helper: ${m.error}`));
        else resolve({ loss: m.loss as number });
      });
      this.worker.once('error', onError);
    });
    this.worker.postMessage({ kind: 'step', inputs: halves } satisfies ToHelper, halves.map((h) => h.values.buffer as ArrayBuffer));
    // This thread's half, while the helper works on the other.
    const mine = tf.tidy(() => {
      const firstHalves = inputs.map((t) => tf.slice(t, 0, t.shape[0] / 2));
      return tf.variableGrads(() => loss(firstHalves), variables as tf.Variable[]);
    });
    const { loss: helperLoss } = await reply;
    // Averaged on the JS side, one variable at a time, each own gradient freed before its average is
    // made: the wasm heap holds one gradient set at a time (seed2's FC gradient alone is 512 MiB).
    const grads: tf.NamedTensorMap = {};
    off = 0;
    variables.forEach((v, i) => {
      const own = mine.grads[v.name];
      const avg = own.dataSync() as Float32Array; // a copy
      own.dispose();
      const other = this.grads.subarray(off, off + sizes[i]);
      for (let j = 0; j < avg.length; j++) avg[j] = (avg[j] + other[j]) * 0.5;
      grads[v.name] = tf.tensor(avg, v.shape, 'float32');
      off += sizes[i];
    });
    const value = tf.tidy(() => tf.mul(tf.add(mine.value, helperLoss), 0.5) as tf.Scalar);
    mine.value.dispose();
    return { value, grads };
  }

  /** Stops the helper thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ kind: 'close' } satisfies ToHelper);
    await this.worker.terminate();
  }
}
