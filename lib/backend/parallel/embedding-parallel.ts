/**
 * Two cores for a training step whose loss is a function of the batch's embeddings: the calling thread embeds
 * one part of the batch's images, a `worker_threads` helper (its own tfjs wasm backend, its own copy of the
 * embedding network) embeds the other part, and the loss is computed here on all the embeddings together, so
 * it is the same function of the batch as on one thread (pair losses, batch-hard triplet, contrastive over
 * every pair of the batch alike). Only batch-norm statistics are per part.
 *
 * One step, with the gradient of the loss L(e), e = [e₁; e₂], split by the chain rule:
 * 1. this thread posts the helper's images; both threads run their forward pass at once (taped);
 * 2. the helper writes e₂ to shared memory; this thread, inside its own tape, takes ∂L/∂e₂ (a small gradient of
 *    the loss alone) and writes it back (without variables of its own, the same pass gives ∂L/∂e₁, and the tape
 *    takes e₁·∂L/∂e₁ instead of the loss again);
 * 3. both run their backward pass at once: this thread's tape gives ∂L/∂θ through e₁ (and the gradients of
 *    any variables of its own, e.g. a BCE head), the helper's gives ∂(e₂·∂L/∂e₂)/∂θ, the part through e₂;
 * 4. the two are added here in a fixed order, so a step is deterministic.
 * The handshakes in the middle of a tape are synchronous (`Atomics.wait` on shared memory: a tape function
 * cannot await), with a timeout and the helper's errors reported, never a hang.
 *
 * The helper's weights are refreshed from this thread's variables at every step, so this thread's optimizer
 * is the only one; random state the network carries (dropout mask counters) is handed over per step. The images
 * go first, so the helper copies them into its heap while this thread writes the weights to shared memory; on
 * wasm the weights and gradients move between the heaps and shared memory in one copy each (no tensor made per
 * variable), and the helper's part of each gradient is added into this thread's in place (src/kernels.c add_into).
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import { stopWorker, workerEntry } from '../../util/worker-entry';
import { kernelModuleFor } from '../kernels/kernel-module';
import { activeWasmKernels } from '../kernels/register-wasm-kernels';
import { heapView, offsetOf, wasmBackend, type WasmBackendInternals } from '../kernels/wasm-backend-access';

/** What an embedding replica module's `createEmbeddingReplica(options)` returns (the same network on every thread). */
export interface EmbeddingReplica {
  /** The network's trainable variables, in a fixed order. */
  readonly variables: readonly tf.Variable[];
  /** Embeddings `[n, d]` of images in training mode. */
  embed(x: tf.Tensor): tf.Tensor2D;
  /** Sets the network's random state before a step (what {@link EmbeddingStep.helperState} carries). */
  setState?(state: unknown): void;
}

/** How to start the helper. */
export interface EmbeddingParallelConfig {
  /** Absolute path of the replica module (.ts under tsx, .js compiled) exporting `createEmbeddingReplica(options)`. */
  readonly module: string;
  /** JSON-serialisable options for `createEmbeddingReplica`. */
  readonly options?: unknown;
  /** Backend of the helper (default wasm, which registers the project's kernels). */
  readonly backend?: 'wasm' | 'cpu';
  /** Longest wait for the other thread inside a step, in ms, on either side (default 10 minutes). */
  readonly timeoutMs?: number;
}

/** One step's inputs. */
export interface EmbeddingStep {
  /** Images embedded on this thread (first rows of e). */
  readonly here: tf.Tensor;
  /** Images embedded on the helper (last rows of e); not disposed. */
  readonly there: tf.Tensor;
  /** This thread's embedding of `here` (its own network, training mode). */
  readonly embed: (x: tf.Tensor) => tf.Tensor2D;
  /** Width of an embedding (the network's output size). */
  readonly dim: number;
  /** The scalar loss of all embeddings `[here; there]`. Called twice per step: it must be deterministic. */
  readonly loss: (e: tf.Tensor2D) => tf.Scalar;
  /** The network's variables on this thread, in the replica's order. */
  readonly shared: readonly tf.Variable[];
  /** Other variables of this thread the loss uses (a head's), trained from this thread's tape alone. */
  readonly own?: readonly tf.Variable[];
  /** Passed to the helper replica's `setState` before its forward pass. */
  readonly helperState?: unknown;
}

/** Control words in shared memory: the step number each event belongs to. */
const EMBEDDED = 0, GRADIENT = 1, FAILED = 2, CANCELLED = 3, WEIGHTS = 4;

/** Messages to the helper. */
export type ToEmbeddingHelper =
  | { kind: 'step'; seq: number; there: { shape: number[]; values: Float32Array }; dim: number; exchange?: SharedArrayBuffer; state?: unknown }
  | { kind: 'close' };

/** Messages from the helper. */
export type FromEmbeddingHelper = { seq: number; error?: string } | { sizes: number[]; control: SharedArrayBuffer; weights: SharedArrayBuffer; grads: SharedArrayBuffer } | { error: string };

/** Waits (blocking) until control[slot] reaches `seq`; throws on the helper's failure, a cancel, or the timeout. */
export function waitFor(control: Int32Array, slot: number, seq: number, timeoutMs: number, who: string): void {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = Atomics.load(control, slot);
    if (now === seq) return;
    if (Atomics.load(control, FAILED) === seq) throw new HelperFailedError(`${who}: the other thread failed in step ${seq}`);
    if (Atomics.load(control, CANCELLED) === seq) throw new HelperFailedError(`${who}: step ${seq} was cancelled by the other thread`);
    const left = until - Date.now();
    if (left <= 0) throw new Error(`${who}: no answer in step ${seq} after ${Math.round(timeoutMs / 1000)} s`);
    Atomics.wait(control, slot, now, Math.min(left, 1000));
  }
}

/** The other side stopped the step (its own error is reported separately). */
export class HelperFailedError extends Error {}

export function signal(control: Int32Array, slot: number, seq: number): void {
  Atomics.store(control, slot, seq);
  Atomics.notify(control, slot);
}

export const CONTROL = { EMBEDDED, GRADIENT, FAILED, CANCELLED, WEIGHTS, WORDS: 5 } as const;

/** The wasm backend when it is the active one (tensors then live in its heap), else null. */
export function activeWasm(): WasmBackendInternals | null {
  return tf.getBackend() === 'wasm' ? wasmBackend(tf.backend()) : null;
}

/**
 * After a tape function threw: tfjs ends the tape but keeps the tensors its nodes saved for the backward pass
 * until the next gradient at depth 0 replaces the tape; released here, so a failed step leaks nothing.
 */
export function releaseAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/**
 * A running helper thread; see the module doc.
 * @see notebooks/05-training-runs.ipynb
 */
export class EmbeddingParallel {
  private closed = false;
  private seq = 0;
  private exchange = new SharedArrayBuffer(0);

  private constructor(private readonly worker: Worker, private readonly sizes: readonly number[], private readonly control: Int32Array,
    private readonly weights: Float32Array, private readonly grads: Float32Array, private readonly timeoutMs: number) {}

  /** Starts the helper and builds its replica; resolves once it is ready. */
  static async start(config: EmbeddingParallelConfig): Promise<EmbeddingParallel> {
    const entry = workerEntry(__filename, 'embedding-parallel-helper');
    const timeoutMs = config.timeoutMs ?? 600_000;
    const worker = new Worker(entry, { eval: true, workerData: { module: config.module, options: config.options ?? null, backend: config.backend ?? 'wasm', timeoutMs } });
    const ready = await new Promise<{ sizes: number[]; control: SharedArrayBuffer; weights: SharedArrayBuffer; grads: SharedArrayBuffer }>((resolve, reject) => {
      worker.once('message', (m: FromEmbeddingHelper) => {
        if ('error' in m && m.error !== undefined) {
          void worker.terminate();
          reject(new Error(`EmbeddingParallel: the helper failed to start: ${m.error}`));
        } else resolve(m as { sizes: number[]; control: SharedArrayBuffer; weights: SharedArrayBuffer; grads: SharedArrayBuffer });
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`EmbeddingParallel: the helper thread exited (code ${code}) before it was ready`)));
    });
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    return new EmbeddingParallel(worker, ready.sizes, new Int32Array(ready.control), new Float32Array(ready.weights), new Float32Array(ready.grads), timeoutMs);
  }

  /**
   * Like `tf.variableGrads(() => step.loss(concat(embed(here), embed(there))), [...shared, ...own])` with `there`
   * embedded on the helper: `value` is the loss, `grads` (keyed by variable name) its gradient. The caller
   * owns the returned tensors; the inputs are not disposed.
   */
  async variableGrads(step: EmbeddingStep): Promise<{ value: tf.Scalar; grads: tf.NamedTensorMap }> {
    if (this.closed) throw new Error('EmbeddingParallel: variableGrads after close()');
    const { sizes, control } = this;
    const shared = step.shared;
    if (shared.length !== sizes.length || shared.some((v, i) => v.size !== sizes[i])) {
      throw new Error(`EmbeddingParallel: ${shared.length} variables of sizes [${shared.map((v) => v.size)}] do not match the helper's replica [${sizes}]`);
    }
    const seq = ++this.seq;
    const be = activeWasm();
    const rowsThere = step.there.shape[0];
    const values = step.there.dataSync() as Float32Array;
    const there = { shape: step.there.shape, values: be !== null ? values : values.slice() };
    const done = new Promise<{ seq: number; error?: string }>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.worker.once('message', (m: { seq: number; error?: string }) => {
        this.worker.off('error', onError);
        resolve(m);
      });
      this.worker.once('error', onError);
    });
    // the exchange buffer: the helper's embeddings, then the loss's gradient for them
    const dim = step.dim;
    const need = 2 * rowsThere * dim * 4;
    let fresh: SharedArrayBuffer | undefined;
    if (this.exchange.byteLength < need) this.exchange = fresh = new SharedArrayBuffer(need);
    this.worker.postMessage({ kind: 'step', seq, there, dim, exchange: fresh, state: step.helperState } satisfies ToEmbeddingHelper,
      [there.values.buffer as ArrayBuffer]);
    let mine: { value: tf.Scalar; grads: tf.NamedTensorMap };
    const ownVariables = step.own ?? [];
    const kept: { loss: tf.Scalar | null } = { loss: null };
    try {
      // the helper starts from this thread's current weights (it copies its images in meanwhile)
      let at = 0;
      shared.forEach((v, i) => {
        this.weights.set(be ? heapView(be, v) : (v.dataSync() as Float32Array), at);
        at += sizes[i];
      });
      signal(control, WEIGHTS, seq);
      mine = tf.variableGrads(() => {
        const e1 = step.embed(step.here);
        if (e1.shape[1] !== dim) throw new Error(`EmbeddingParallel: the network's embeddings are ${e1.shape[1]} wide, the step said ${dim}`);
        waitFor(control, EMBEDDED, seq, this.timeoutMs, 'EmbeddingParallel');
        const buf = new Float32Array(this.exchange, 0, 2 * rowsThere * dim);
        const e2 = tf.tensor2d(buf.slice(0, rowsThere * dim), [rowsThere, dim]);
        const e1Data = tf.tensor2d(e1.dataSync() as Float32Array, e1.shape);
        const rowsHere = e1.shape[0];
        if (ownVariables.length === 0) {
          // The loss once, outside the tape: its value and ∂L/∂e for every embedding. ∂L/∂e₂ goes to the helper; this
          // tape then takes e₁·∂L/∂e₁, whose gradient is the loss's through e₁, the same bits as taping the loss itself
          // (d(e₁·g)/de₁ = 1·g), without running the loss a second time and back on the step's critical path.
          const [g1, value] = tf.tidy(() => {
            const { value: v, grad } = tf.valueAndGrad((e: tf.Tensor) => step.loss(e as tf.Tensor2D))(tf.concat([e1Data, e2]));
            buf.set(grad.slice([rowsHere, 0], [rowsThere, dim]).dataSync() as Float32Array, rowsThere * dim);
            return [grad.slice([0, 0], [rowsHere, dim]), v];
          });
          e1Data.dispose();
          signal(control, GRADIENT, seq);
          kept.loss = tf.keep(value as tf.Scalar);
          return tf.sum(tf.mul(e1, g1)) as tf.Scalar;
        }
        // ∂L/∂e₂ for the helper: a gradient of the loss alone, at this step's embeddings
        const g2 = tf.tidy(() => tf.grad((x: tf.Tensor) => step.loss(tf.concat([e1Data, x]) as tf.Tensor2D))(e2));
        buf.set(g2.dataSync() as Float32Array, rowsThere * dim);
        g2.dispose();
        e1Data.dispose();
        signal(control, GRADIENT, seq);
        // variables of this thread's own (a BCE head's) get their gradient from the loss on this tape
        return step.loss(tf.concat([e1, e2]) as tf.Tensor2D);
      }, [...shared, ...ownVariables] as tf.Variable[]);
    } catch (err) {
      kept.loss?.dispose();
      releaseAbandonedTape();
      signal(control, CANCELLED, seq);
      const reply = await done;
      if (reply?.error !== undefined && err instanceof HelperFailedError) throw new Error(`EmbeddingParallel helper: ${reply.error}`);
      throw err;
    }
    if (kept.loss !== null) {
      mine.value.dispose();
      mine = { value: kept.loss, grads: mine.grads };
    }
    const reply = await done;
    if (reply.error !== undefined) {
      tf.dispose([mine.value, ...Object.values(mine.grads)]);
      throw new Error(`EmbeddingParallel helper: ${reply.error}`);
    }
    // the two parts of each shared variable's gradient, added in a fixed order (this thread's, then the helper's)
    const grads: tf.NamedTensorMap = { ...mine.grads };
    // On wasm with the project's kernels, the helper's parts come into this heap in one copy and each is added
    // into this thread's gradient where it lies (add_into: f32 additions, tf.add's bits), without a tensor per variable.
    const kernels = be !== null ? activeWasmKernels() : null;
    const addInto = be !== null && kernels?.variant != null ? kernelModuleFor(be, kernels.variant).exports.add_into : null;
    const theirs = addInto !== null ? tf.tensor1d(this.grads) : null;
    let off = 0;
    shared.forEach((v, i) => {
      const own = mine.grads[v.name];
      const at = off;
      off += sizes[i];
      if (own !== undefined && theirs !== null && own.dtype === 'float32' && be!.refCount(own.dataId) === 1) {
        addInto!(offsetOf(be!, own), offsetOf(be!, theirs) + 4 * at, sizes[i]);
        return;
      }
      const other = this.grads.subarray(at, off);
      // the helper's part as a tensor (wasm copies it into its heap; other backends keep the array, so they get a copy)
      const part = tf.tensor(be !== null ? other : other.slice(), v.shape, 'float32');
      if (own === undefined) {
        grads[v.name] = part;
        return;
      }
      grads[v.name] = tf.add(own, part);
      tf.dispose([own, part]);
    });
    theirs?.dispose();
    return { value: mine.value, grads };
  }

  /** Stops the helper thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await stopWorker(this.worker, { kind: 'close' } satisfies ToEmbeddingHelper);
  }
}
