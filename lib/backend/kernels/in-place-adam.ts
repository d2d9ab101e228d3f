/**
 * Adam that updates variables, and its moment estimates, in place. tf.train.adam builds a dozen
 * full-size temporaries per variable inside one tidy, which for seed2's 134M-weight FC layer alone
 * is ~7 GB, far past a wasm32 heap. On wasm with the project's kernels this optimizer runs one SIMD
 * pass per variable (src/kernels.c adam_update) on the tensors' own memory: no temporaries at all.
 * After each in-place write the variable gets a new id on the backend's C++ side, which drops
 * XNNPACK's cached operators (they hold a packed copy of the weights, keyed by tensor id).
 * On other backends it does the same arithmetic with tf ops, one variable per tidy.
 *
 * Same formula and defaults as tf.train.adam (lr 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7).
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { kernelModuleFor } from './kernel-module';
import { activeWasmKernels } from './register-wasm-kernels';
import { ownBuffer } from './in-place-update';
import { offsetOf, renewTensorId, wasmBackend } from './wasm-backend-access';

type NamedTensor = { name: string; tensor: tf.Tensor };

export class InPlaceAdam extends tf.Optimizer {
  static readonly className = 'InPlaceAdam';
  private readonly moments = new Map<string, { m: tf.Tensor; v: tf.Tensor }>();
  private step = 0;

  constructor(readonly learningRate = 0.001, readonly beta1 = 0.9, readonly beta2 = 0.999, readonly epsilon = 1e-7) {
    super();
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    this.step++;
    const c1 = 1 / (1 - this.beta1 ** this.step), c2 = 1 / (1 - this.beta2 ** this.step);
    const reg = activeWasmKernels();
    const onWasm = tf.getBackend() === 'wasm' && reg !== null && reg.variant !== null;
    for (const { name, tensor: g } of list) {
      if (g == null) continue;
      const x = tf.engine().registeredVariables[name];
      if (x === undefined) throw new Error(`InPlaceAdam: no variable named ${name}`);
      let state = this.moments.get(name);
      if (state === undefined) {
        state = { m: tf.keep(tf.zerosLike(x)), v: tf.keep(tf.zerosLike(x)) };
        this.moments.set(name, state);
      }
      if (onWasm && x.dtype === 'float32' && g.dtype === 'float32') {
        const be = wasmBackend(tf.backend());
        // The variable must own its buffer before it is written in place.
        ownBuffer(be, x);
        kernelModuleFor(be, reg.variant!).exports.adam_update(offsetOf(be, x), offsetOf(be, state.m), offsetOf(be, state.v),
          offsetOf(be, g), x.size, this.learningRate, this.beta1, this.beta2, this.epsilon, c1, c2);
        // XNNPACK caches operators (with packed weights) by tensor id: a new id makes it repack.
        renewTensorId(be, x);
      } else {
        const s = state;
        tf.tidy(() => {
          const m = tf.add(tf.mul(s.m, this.beta1), tf.mul(g, 1 - this.beta1));
          const v = tf.add(tf.mul(s.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
          x.assign(tf.sub(x, tf.div(tf.mul(m, this.learningRate * c1), tf.add(tf.sqrt(tf.mul(v, c2)), this.epsilon))));
          s.m.dispose();
          s.v.dispose();
          s.m = tf.keep(m);
          s.v = tf.keep(v);
        });
      }
    }
    this.incrementIterations();
  }

  /** Frees the moment estimates. */
  override dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
    super.dispose();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    for (const [name, { m, v }] of this.moments) out.push({ name: `${name}/m`, tensor: m }, { name: `${name}/v`, tensor: v });
    return out;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.step = this.iterations;
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
    for (const { name, tensor } of rest) {
      const base = name.replace(/\/[mv]$/, '');
      const s = this.moments.get(base) ?? { m: tf.keep(tf.zerosLike(tensor)), v: tf.keep(tf.zerosLike(tensor)) };
      const copy = tf.keep(tf.clone(tensor));
      if (name.endsWith('/m')) { s.m.dispose(); s.m = copy; } else { s.v.dispose(); s.v = copy; }
      this.moments.set(base, s);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls(config.learningRate, config.beta1, config.beta2, config.epsilon);
  }
}
tf.serialization.registerClass(InPlaceAdam);

/** An {@link InPlaceAdam} with tf.train.adam's arguments. */
export function inPlaceAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7): InPlaceAdam {
  return new InPlaceAdam(learningRate, beta1, beta2, epsilon);
}
