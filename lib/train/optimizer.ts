/**
 * Optimizers with PyTorch's update rules, written on tfjs ops so that their whole state is a list of named
 * tensors: checkpoints save it exactly and a resumed run continues bit for bit.
 *
 * With g = ∇L + λ·θ (L2 weight decay λ, as PyTorch's `weight_decay`), learning rate η, step t:
 * - SGD with momentum μ:  b ← μ·b + g (b = g on the first step);  θ ← θ − η·b
 * - Adam (β₁, β₂, ε):     m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − η·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
 *   AdamW (`decoupled`): θ ← θ·(1 − ηλ) first, and g = ∇L
 * - RMSprop (α, ε):       s ← αs + (1−α)g²;  θ ← θ − η·g / (√s + ε)
 *
 * On the wasm backend with the project's kernels, Adam runs in place (one SIMD pass per variable, no
 * temporaries; lib/backend/kernels adamInPlace) with the same float32 operations, so the result is the
 * same bit for bit; `inPlace: false` in the constructor's options turns that off.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { adamInPlace, adamInPlaceRows } from '../backend/kernels/in-place-update';
import { activeWasmKernels } from '../backend/kernels/register-wasm-kernels';
import { withNamedDefaults, type NamedConfig } from '../util/named-config';

/** The state slots each optimizer keeps per parameter; its keys are the optimizers there are. */
const SLOTS = Object.freeze({ adam: ['m', 'v'], sgd: ['momentum'], rmsprop: ['square'] } as const);
export type OptimizerName = keyof typeof SLOTS;
export const OPTIMIZERS: readonly OptimizerName[] = Object.keys(SLOTS) as OptimizerName[];

export interface OptimizerConfig extends NamedConfig<OptimizerName> {
  /** The base learning rate η (a scheduler scales it per epoch). */
  readonly lr: number;
  /** L2 weight decay λ (0: none). */
  readonly weightDecay: number;
  /** Adam: decoupled weight decay (AdamW) instead of L2 added to the gradient. */
  readonly decoupled: boolean;
  /** SGD: momentum μ. */
  readonly momentum: number;
  /** Adam: β₁, β₂. */
  readonly beta1: number;
  readonly beta2: number;
  /** RMSprop: smoothing α. */
  readonly alpha: number;
  /** Adam and RMSprop: ε (PyTorch's defaults: 1e-8). */
  readonly epsilon: number;
}

export const DEFAULT_OPTIMIZER: Readonly<OptimizerConfig> = Object.freeze({
  name: 'adam', lr: 1e-3, weightDecay: 0, decoupled: false, momentum: 0.9, beta1: 0.9, beta2: 0.999, alpha: 0.99, epsilon: 1e-8,
});

/** Merges `partial` over the defaults and validates; errors name the bad value. */
export function resolveOptimizer(partial: Partial<OptimizerConfig> = {}): OptimizerConfig {
  const cfg = withNamedDefaults('optimizer', OPTIMIZERS, DEFAULT_OPTIMIZER, partial);
  const positive = (k: keyof OptimizerConfig) => {
    const v = cfg[k] as number;
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new RangeError(`optimizer ${k} must be a positive number, got ${v}`);
  };
  const unit = (k: keyof OptimizerConfig) => {
    const v = cfg[k] as number;
    if (!(typeof v === 'number' && v >= 0 && v < 1)) throw new RangeError(`optimizer ${k} must be in [0, 1), got ${v}`);
  };
  positive('lr');
  positive('epsilon');
  unit('momentum');
  unit('beta1');
  unit('beta2');
  unit('alpha');
  if (!(cfg.weightDecay >= 0 && Number.isFinite(cfg.weightDecay))) throw new RangeError(`optimizer weightDecay must be >= 0, got ${cfg.weightDecay}`);
  return cfg;
}

/** The optimizer's state: named tensors (copied out) plus the step count. */
export interface OptimizerState {
  readonly step: number;
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly values: Float32Array }>;
}

/**
 * An optimizer over a fixed list of variables. `apply(grads, lr)` updates them in place (tf.Variable
 * assign); state slots are created lazily as zeros, like PyTorch's.
 */
export class Optimizer {
  readonly config: OptimizerConfig;
  private readonly variables: readonly tf.Variable[];
  private readonly slots = new Map<string, tf.Variable>();
  /** Steps taken so far (t in Adam's bias correction). */
  step = 0;

  /** Called at the start of each {@link apply} with its learning rate (see {@link onBeforeApply}). */
  private readonly beforeApply: Array<(lr: number) => void> = [];

  /** Whether Adam may update in place on wasm (see the module doc). */
  private readonly inPlace: boolean;

  constructor(variables: readonly tf.Variable[], config: Partial<OptimizerConfig> = {}, options: { inPlace?: boolean } = {}) {
    this.config = resolveOptimizer(config);
    this.inPlace = options.inPlace ?? true;
    const names = new Set<string>();
    for (const v of variables) {
      if (names.has(v.name)) throw new Error(`Optimizer: two variables are named ${v.name}`);
      names.add(v.name);
    }
    this.variables = variables;
  }

  /** State keys are positional (`p3/m`): tfjs renames variables (`kernel_6`) when a model is rebuilt. */
  private slot(v: tf.Variable, kind: string): tf.Variable {
    const key = `p${this.variables.indexOf(v)}/${kind}`;
    let s = this.slots.get(key);
    if (!s) {
      s = tf.variable(tf.zerosLike(v), false);
      this.slots.set(key, s);
    }
    return s;
  }

  /**
   * One update with learning rate `lr` from `grads` (keyed by variable name, as tf.variableGrads returns).
   * Variables without a gradient are left alone. The caller keeps ownership of `grads`.
   */
  apply(grads: tf.NamedTensorMap, lr: number): void {
    for (const hook of [...this.beforeApply]) hook(lr);
    const c = this.config;
    this.step += 1;
    const t = this.step;
    for (const v of this.variables) {
      const grad = grads[v.name];
      if (!grad) continue;
      if (c.name === 'adam' && this.inPlace) {
        const [m, s] = tf.tidy(() => [this.slot(v, 'm'), this.slot(v, 'v')]);
        const done = adamInPlace(v, m, s, grad, {
          lr, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, t, weightDecay: c.weightDecay, decoupled: c.decoupled,
        });
        if (done) continue;
      }
      tf.tidy(() => {
        let g: tf.Tensor = grad;
        if (c.weightDecay > 0 && !(c.name === 'adam' && c.decoupled)) g = g.add(v.mul(c.weightDecay));
        if (c.name === 'sgd') {
          let update = g;
          if (c.momentum > 0) {
            const b = this.slot(v, 'momentum');
            update = t === 1 ? g : b.mul(c.momentum).add(g);
            b.assign(update);
          }
          v.assign(v.sub(update.mul(lr)));
        } else if (c.name === 'adam') {
          const m = this.slot(v, 'm');
          const s = this.slot(v, 'v');
          const m1 = m.mul(c.beta1).add(g.mul(1 - c.beta1));
          const v1 = s.mul(c.beta2).add(g.square().mul(1 - c.beta2));
          m.assign(m1);
          s.assign(v1);
          const stepSize = lr / (1 - c.beta1 ** t);
          const denom = v1.div(1 - c.beta2 ** t).sqrt().add(c.epsilon);
          const base = c.decoupled && c.weightDecay > 0 ? v.mul(1 - lr * c.weightDecay) : v;
          v.assign(base.sub(m1.div(denom).mul(stepSize)));
        } else {
          const sq = this.slot(v, 'square');
          const s1 = sq.mul(c.alpha).add(g.square().mul(1 - c.alpha));
          sq.assign(s1);
          v.assign(v.sub(g.div(s1.sqrt().add(c.epsilon)).mul(lr)));
        }
      });
    }
  }

  /**
   * Runs `hook(lr)` at the start of every {@link apply}, before its step number advances (so {@link updateRows}
   * inside it belongs to that step); returns the function that removes it. lib/train/streamed-dense.ts updates a
   * large kernel there.
   */
  onBeforeApply(hook: (lr: number) => void): () => void {
    this.beforeApply.push(hook);
    return () => {
      const i = this.beforeApply.indexOf(hook);
      if (i >= 0) this.beforeApply.splice(i, 1);
    };
  }

  /**
   * Whether {@link updateRows} can update `v`: Adam in place on wasm with the project's kernels, `v` one of this
   * optimizer's variables and float32 of rank ≥ 1.
   */
  canUpdateRows(v: tf.Variable): boolean {
    const reg = activeWasmKernels();
    return this.config.name === 'adam' && this.inPlace && tf.getBackend() === 'wasm' && reg !== null && reg.variant !== null
      && this.variables.includes(v) && v.dtype === 'float32' && v.rank >= 1;
  }

  /**
   * Updates rows `rowStart ..` of `v` now, from `gradRows` (their gradient), as part of the step that the next
   * {@link apply} completes (its step number, `step + 1`): for a variable too large to hold its whole gradient
   * (lib/train/streamed-dense.ts), which gives `apply` no gradient for `v`. Same bits as `apply` with the whole
   * gradient. Throws if {@link canUpdateRows} is false.
   */
  updateRows(v: tf.Variable, rowStart: number, gradRows: tf.Tensor, lr: number): void {
    if (!this.canUpdateRows(v)) throw new Error(`Optimizer.updateRows: ${v.name} cannot be updated by rows here (Adam in place on wasm only)`);
    const c = this.config;
    const [m, s] = tf.tidy(() => [this.slot(v, 'm'), this.slot(v, 'v')]);
    const done = adamInPlaceRows(v, m, s, gradRows, rowStart, {
      lr, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, t: this.step + 1, weightDecay: c.weightDecay, decoupled: c.decoupled,
    });
    if (!done) throw new Error(`Optimizer.updateRows: the in-place update of ${v.name} did not run`);
  }

  /** A copy of the state (for checkpoints). */
  async getState(): Promise<OptimizerState> {
    const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [key, s] of this.slots) tensors.set(key, { shape: s.shape.slice(), values: (await s.data()) as Float32Array });
    return { step: this.step, tensors };
  }

  /** Restores a state from `getState` (shapes must match the variables). */
  setState(state: OptimizerState): void {
    const known = new Set(this.variables.flatMap((_, i) => SLOTS[this.config.name].map((k) => `p${i}/${k}`)));
    for (const [key, { shape, values }] of state.tensors) {
      if (!known.has(key)) throw new Error(`Optimizer state has ${key}, which this ${this.config.name} optimizer over these variables does not`);
      const index = Number(key.slice(1, key.indexOf('/')));
      if (this.variables[index].shape.join('x') !== shape.join('x')) {
        throw new Error(`Optimizer state ${key} has shape [${shape}], variable ${this.variables[index].name} has [${this.variables[index].shape}]`);
      }
      const existing = this.slots.get(key);
      const t = tf.tensor(values, [...shape], 'float32');
      if (existing) {
        existing.assign(t);
        t.dispose();
      } else {
        this.slots.set(key, tf.variable(t, false));
        t.dispose();
      }
    }
    this.step = state.step;
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const s of this.slots.values()) s.dispose();
    this.slots.clear();
  }
}
