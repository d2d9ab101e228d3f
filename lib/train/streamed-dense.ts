/**
 * A very large Dense layer's weights updated during the backward pass, block by block, so that their whole
 * gradient never exists at once.
 *
 * Why: seed2's CNN at 128 px ends in a fully connected layer of 131 072 × 1 024 weights (512 MiB). A training
 * step computes that layer's 512 MiB weight gradient first in the backward pass, while every activation of the
 * forward pass (~0.9 GB at 16 pairs) and the weights and Adam's two moments (1.5 GiB) are alive, and the
 * gradient waits there until the optimizer runs: the wasm heap (4 GiB at most) peaked at 2.9–3.5 GB.
 *
 * How: while a training run lasts, the layer computes its forward pass as before (the same fused matMul and
 * bias, the same numbers) as one recorded operation with its own backward step. That step computes the input
 * gradient dy·Wᵀ (with the weights before this step's update), then the kernel's gradient xᵀ·dy one block of
 * rows at a time (`blockFloats` floats, 32 MiB by default), hands each block at once to the optimizer's
 * in-place Adam for those rows ({@link Optimizer.updateRows}) and frees it. What it returns to the tape as
 * the kernel's "gradient" is a view of the kernel itself (no memory), which the optimizer has been told to
 * ignore this step ({@link Optimizer.takeOver}). The bias keeps its ordinary gradient. The update is the one
 * `Optimizer.apply` would make with the whole gradient, bit for bit (the test checks it), and the moments live
 * in the optimizer's slots, so checkpoints and resumes are unchanged.
 *
 * Used by lib/train's trainer on one thread with Adam on wasm with the project's kernels, for Dense layers of
 * at least `minWeights` weights (16 M by default: seed2's FC; no other network here comes near). The trainer
 * says when it does. A step whose loss gradient at the layer is not finite updates nothing here (the trainer
 * then stops with its non-finite-loss error).
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { Optimizer } from './optimizer';

/** When and how {@link streamLargeDenseUpdates} streams a layer's update. */
export interface StreamedDenseOptions {
  /** Dense layers with at least this many kernel weights are streamed (default 16 M). */
  readonly minWeights?: number;
  /** Floats per block of the kernel's gradient (default 8 M = 32 MiB); a block holds whole rows, at least one. */
  readonly blockFloats?: number;
}

/** The layers being streamed; {@link StreamedDense.restore} puts them back as they were. */
export interface StreamedDense {
  /** Each streamed layer: its name and kernel shape. */
  readonly layers: ReadonlyArray<{ readonly name: string; readonly shape: readonly number[] }>;
  /** The learning rate of the steps that follow (the trainer sets it each epoch). */
  setLearningRate(lr: number): void;
  /** Steps whose layer gradient was not finite, so nothing was updated here. */
  readonly skipped: number;
  /** The layers compute as ordinary Dense layers again. */
  restore(): void;
}

export const DEFAULT_STREAMED_DENSE: Required<StreamedDenseOptions> = Object.freeze({ minWeights: 16 * 2 ** 20, blockFloats: 8 * 2 ** 20 });

/** tf.customGrad's function type, loosened to what is passed here. */
type CustomGradFunc = Parameters<typeof tf.customGrad>[0];
type LayerVariable = { read(): tf.Variable };
type DenseLike = tf.layers.Layer & {
  kernel?: LayerVariable; bias?: LayerVariable | null; activation?: { getClassName(): string };
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
};

/** Every layer of `model`, inside nested models too. */
function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((l) => ('layers' in l && Array.isArray((l as tf.LayersModel).layers) ? [l, ...allLayers(l as tf.LayersModel)] : [l]));
}

/**
 * Streams the weight updates of `model`'s large Dense layers into the backward pass (see the module doc), for
 * `opt`; null when no layer qualifies or `opt` cannot update by rows (then nothing changed).
 * @see notebooks/05-training-runs.ipynb
 */
export function streamLargeDenseUpdates(model: tf.LayersModel, opt: Optimizer, options: StreamedDenseOptions = {}): StreamedDense | null {
  const o = { ...DEFAULT_STREAMED_DENSE, ...options };
  if (!(Number.isInteger(o.blockFloats) && o.blockFloats >= 1)) throw new RangeError(`blockFloats must be a positive integer, got ${o.blockFloats}`);
  const seen = new Set<tf.layers.Layer>();
  const chosen = allLayers(model).filter((layer): layer is DenseLike => {
    if (seen.has(layer)) return false;
    seen.add(layer);
    const d = layer as DenseLike;
    if (layer.getClassName() !== 'Dense' || d.kernel === undefined || d.activation?.getClassName() !== 'linear') return false;
    const w = d.kernel.read();
    return w.rank === 2 && w.size >= o.minWeights && opt.canUpdateRows(w);
  });
  if (chosen.length === 0) return null;
  let lr = opt.config.lr;
  let skipped = 0;
  const restores: Array<() => void> = [];

  for (const layer of chosen) {
    const original = layer.call;
    const hadOwn = Object.prototype.hasOwnProperty.call(layer, 'call');
    const streamed = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x.rank !== 2) return original.call(layer, inputs, kwargs);
      const w = layer.kernel!.read();
      const b = layer.bias ? layer.bias.read() : null;
      const [k, units] = w.shape;
      const rows = Math.max(1, Math.floor(o.blockFloats / units));
      /**
       * The backward step: the kernel updated block by block, dx (and db) returned; for the kernel itself a view
       * of its own (updated) values, which the optimizer ignores this step ({@link Optimizer.takeOver}).
       */
      const backward = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
        const xs = saved[0];
        const n = xs.shape[0];
        // the same operations as tfjs's fused matMul gradient, on its 3-D shapes (so the same bits); dx before the update
        const dx = tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(dy, [1, n, units]), tf.reshape(w, [1, k, units]), false, true), [n, k]));
        const db = b ? tf.tidy(() => tf.reshape(tf.sum(tf.reshape(dy, [1, n, units]), [0, 1]), b.shape)) : null;
        opt.takeOver(w);
        const finite = tf.tidy(() => tf.all(tf.isFinite(dy)).dataSync()[0] === 1);
        if (finite) {
          for (let r0 = 0; r0 < k; r0 += rows) {
            const r = Math.min(rows, k - r0);
            const g = tf.tidy(() => tf.reshape(
              tf.matMul(tf.slice(tf.reshape(xs, [1, n, k]), [0, 0, r0], [1, n, r]), tf.reshape(dy, [1, n, units]), true, false), [r, units]));
            try {
              opt.updateRows(w, r0, g, lr);
            } finally {
              g.dispose();
            }
          }
        } else {
          skipped += 1;
        }
        // the tape wants a gradient of the kernel's shape: a view of the kernel (no copy), made after the update
        const view = tf.reshape(w, w.shape);
        return b ? [dx, db!, view] : [dx, view];
      };
      // the kernel is an input of the recorded operation (so the backward step runs whenever it is trained)
      return tf.tidy(() => {
        if (b) {
          const f = tf.customGrad(((xi: tf.Tensor, bi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
            save([xi]);
            return { value: tf.fused.matMul({ a: xi as tf.Tensor2D, b: wi as tf.Tensor2D, bias: bi, activation: 'linear' }), gradFunc: backward };
          }) as unknown as CustomGradFunc);
          return f(x, b, w);
        }
        const f = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
          save([xi]);
          return { value: tf.fused.matMul({ a: xi as tf.Tensor2D, b: wi as tf.Tensor2D, activation: 'linear' }), gradFunc: backward };
        }) as unknown as CustomGradFunc);
        return f(x, w);
      });
    };
    (layer as unknown as { call: typeof streamed }).call = streamed;
    restores.push(() => {
      if (hadOwn) (layer as unknown as { call: typeof original }).call = original;
      else delete (layer as unknown as { call?: unknown }).call;
    });
  }
  return {
    layers: chosen.map((l) => ({ name: l.name, shape: l.kernel!.read().shape.slice() })),
    setLearningRate(value: number) {
      lr = value;
    },
    get skipped() {
      return skipped;
    },
    restore() {
      for (const undo of restores.splice(0)) undo();
    },
  };
}
