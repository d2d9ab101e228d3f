/**
 * A very large Dense layer's weights updated block by block, so that their whole gradient never exists.
 *
 * Why: seed2's CNN at 128 px ends in a fully connected layer of 131 072 × 1 024 weights (512 MiB). A training
 * step computed that layer's 512 MiB weight gradient first in the backward pass, while every activation of the
 * forward pass (~0.9 GB at 16 pairs) and the weights and Adam's two moments (1.5 GiB) were alive, and held it
 * until the optimizer ran: the wasm heap (4 GiB at most) peaked at 2.9–3.5 GB.
 *
 * How: while a training run lasts, the layer computes its forward pass as before (the same fused matMul and
 * bias, the same numbers) as one recorded operation whose kernel is not one of its inputs, so the tape never
 * makes the kernel's gradient. Its backward step returns the input gradient dy·Wᵀ and the bias gradient as
 * usual and keeps the operation's input x and dy (a few MB). When the optimizer then applies the step
 * ({@link Optimizer.onBeforeApply}), the kernel's gradient Σ xᵀ·dy (over every time the layer ran in the step,
 * e.g. once for each image of a pair) is made one block of rows at a time (`blockFloats` floats, 32 MiB by
 * default), each block handed at once to the optimizer's in-place Adam for those rows
 * ({@link Optimizer.updateRows}) and freed. The update is the one `Optimizer.apply` would make with the whole
 * gradient, bit for bit (the test checks it), and the moments live in the optimizer's slots, so checkpoints
 * and resumes are unchanged.
 *
 * Used by lib/train's trainer on one thread with Adam on wasm with the project's kernels, for Dense layers of
 * at least `minWeights` weights (16 M by default: seed2's FC; no other network here comes near). The trainer
 * says when it does. A step whose dy is not finite leaves the kernel as it was (the trainer stops on a
 * non-finite loss first). A layer whose input depends on nothing trained and that has no bias gets no backward
 * step at all (the tape prunes it): that is an error at the update, not a silently frozen kernel.
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
  /** Steps whose dy at a streamed layer was not finite, so its kernel was left as it was. */
  readonly skipped: number;
  /** The layers compute as ordinary Dense layers again; a step not applied yet is dropped. */
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

/** Whether operations run now are recorded for a gradient (tfjs's engine: inside tf.grads/variableGrads, not inside a kernel). */
function taping(): boolean {
  return (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
}

/** The Dense layers of `model` (nested models included) that {@link streamLargeDenseUpdates} would stream, whatever the optimizer. */
export function largeDenseLayers(model: tf.LayersModel, minWeights = DEFAULT_STREAMED_DENSE.minWeights): tf.layers.Layer[] {
  return [...new Set(allLayers(model))].filter((layer) => {
    const d = layer as DenseLike;
    if (layer.getClassName() !== 'Dense' || d.kernel === undefined || d.activation?.getClassName() !== 'linear') return false;
    const w = d.kernel.read();
    return w.rank === 2 && w.size >= minWeights;
  });
}

/**
 * Streams the weight updates of `model`'s large Dense layers (see the module doc), for `opt`; null when no
 * layer qualifies or `opt` cannot update by rows (then nothing changed).
 * @see notebooks/05-training-runs.ipynb
 */
export function streamLargeDenseUpdates(model: tf.LayersModel, opt: Optimizer, options: StreamedDenseOptions = {}): StreamedDense | null {
  const o = { ...DEFAULT_STREAMED_DENSE, ...options };
  if (!(Number.isInteger(o.blockFloats) && o.blockFloats >= 1)) throw new RangeError(`blockFloats must be a positive integer, got ${o.blockFloats}`);
  const chosen = largeDenseLayers(model, o.minWeights).filter((layer): layer is DenseLike => opt.canUpdateRows((layer as DenseLike).kernel!.read()));
  if (chosen.length === 0) return null;
  let skipped = 0;
  const restores: Array<() => void> = [];

  for (const layer of chosen) {
    /** This step's recorded applications of the layer, and what each one's backward step kept. */
    let applied = 0;
    const kept: { x: tf.Tensor; dy: tf.Tensor }[] = [];
    const drop = () => {
      for (const { x, dy } of kept.splice(0)) tf.dispose([x, dy]);
      applied = 0;
    };
    const original = layer.call;
    const hadOwn = Object.prototype.hasOwnProperty.call(layer, 'call');
    const streamed = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x.rank !== 2) return original.call(layer, inputs, kwargs);
      const w = layer.kernel!.read();
      const b = layer.bias ? layer.bias.read() : null;
      const [k, units] = w.shape;
      if (taping()) applied += 1;
      /** The backward step: dx (and db) returned, x and dy kept for the kernel's update. */
      const backward = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
        const xs = saved[0];
        const n = xs.shape[0];
        kept.push({ x: tf.keep(tf.clone(xs)), dy: tf.keep(tf.clone(dy)) });
        // the same operations as tfjs's fused matMul gradient, on its 3-D shapes (so the same bits)
        const dx = tf.reshape(tf.matMul(tf.reshape(dy, [1, n, units]), tf.reshape(w, [1, k, units]), false, true), [n, k]);
        return b ? [dx, tf.reshape(tf.sum(tf.reshape(dy, [1, n, units]), [0, 1]), b.shape)] : [dx];
      };
      // inputs x (and the bias): customGrad passes them, then its save function
      const f = tf.customGrad(((...args: unknown[]) => {
        const save = args.pop() as tf.GradSaveFunc;
        const [xi, bi] = args as tf.Tensor[];
        save([xi]);
        return { value: tf.fused.matMul({ a: xi as tf.Tensor2D, b: w as tf.Tensor2D, bias: bi, activation: 'linear' }), gradFunc: backward };
      }) as unknown as CustomGradFunc);
      return tf.tidy(() => (b ? f(x, b) : f(x)));
    };
    /** The kernel's update for the step `opt` is applying: Σ xᵀ·dy block by block into in-place Adam. */
    const update = (lr: number) => {
      if (applied === 0 && kept.length === 0) return;
      try {
        if (kept.length !== applied) {
          throw new Error(`${layer.name}: the layer ran ${applied} time(s) in this step but ${kept.length} backward step(s) reached it: ` +
            'its input depends on no trained variable and it has no bias, so the tape skipped it; train it with streamLargeUpdates: false');
        }
        const w = layer.kernel!.read();
        const [k, units] = w.shape;
        if (!tf.tidy(() => kept.every(({ dy }) => tf.all(tf.isFinite(dy)).dataSync()[0] === 1))) {
          skipped += 1;
          return;
        }
        const rows = Math.max(1, Math.floor(o.blockFloats / units));
        for (let r0 = 0; r0 < k; r0 += rows) {
          const r = Math.min(rows, k - r0);
          // summed in the order the tape would have added the applications' gradients (the order their backward steps ran)
          const g = tf.tidy(() => kept.map(({ x, dy }) => {
            const n = x.shape[0];
            return tf.matMul(tf.slice(tf.reshape(x, [1, n, k]), [0, 0, r0], [1, n, r]), tf.reshape(dy, [1, n, units]), true, false);
          }).reduce((sum, part) => tf.add(sum, part)).reshape([r, units]));
          try {
            opt.updateRows(w, r0, g, lr);
          } finally {
            g.dispose();
          }
        }
      } finally {
        drop();
      }
    };
    const unhook = opt.onBeforeApply(update);
    (layer as unknown as { call: typeof streamed }).call = streamed;
    restores.push(() => {
      unhook();
      drop();
      if (hadOwn) (layer as unknown as { call: typeof original }).call = original;
      else delete (layer as unknown as { call?: unknown }).call;
    });
  }
  return {
    layers: chosen.map((l) => ({ name: l.name, shape: l.kernel!.read().shape.slice() })),
    get skipped() {
      return skipped;
    },
    restore() {
      for (const undo of restores.splice(0)) undo();
    },
  };
}
