/**
 * Memory-frugal backpropagation for tfjs's engine. tfjs-core 4.22's `engine.gradients` keeps every
 * intermediate gradient and every tensor saved for the backward pass alive until the whole backward
 * pass ends, so a MobileNetV3-small step on 32 images at 224 px needs more than the 4 GiB a wasm32
 * heap can hold. This version walks the same tape in the same order with the same gradient
 * functions, but disposes each node's output gradients and saved tensors as soon as that node is
 * done (its inputs' gradients are computed), so memory falls during the backward pass instead of
 * doubling. Results are identical (same kernels, same order of accumulation).
 *
 * Installed on the engine while the wasm kernels are registered, and only used when the active
 * backend is wasm; any other backend (the cpu reference in tests included) runs tfjs's own.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as tf from '@tensorflow/tfjs';

interface TapeNode {
  id: number;
  kernelName: string;
  outputs: tf.Tensor[];
  inputs: Record<string, tf.Tensor>;
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean): { value: tf.Tensor; grads: tf.Tensor[] };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
}

/** Scope name of tfjs-core's fused conv2d op, whose tape node carries its customGrad gradient. */
const FUSED_CONV_SCOPE = /^fusedConv2d(__op)?$/;
let skipConvInput = false;

/**
 * True while the frugal backward pass runs the gradient of a fused conv2d whose input needs no
 * gradient: the project's Conv2DBackpropInput kernel then returns zeros without computing them.
 */
export function convInputGradientUnneeded(): boolean {
  return skipConvInput;
}

/** The nodes on a path from some x to y, each with only the inputs that depend on an x. */
function pathNodes(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): { node: TapeNode; inputs: Record<string, tf.Tensor> }[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodeFromX: boolean[] = tape.map((node) => {
    const hit = Object.values(node.inputs).some((t) => fromX.has(t.id));
    if (hit) for (const o of node.outputs) fromX.add(o.id);
    return hit;
  });
  const toY = new Set([y.id]);
  const kept: boolean[] = new Array(tape.length).fill(false);
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (!nodeFromX[i] || !node.outputs.some((o) => toY.has(o.id))) continue;
    kept[i] = true;
    for (const t of Object.values(node.inputs)) if (fromX.has(t.id)) toY.add(t.id);
  }
  const out: { node: TapeNode; inputs: Record<string, tf.Tensor> }[] = [];
  tape.forEach((node, i) => {
    if (!kept[i]) return;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id) && toY.has(t.id)) inputs[name] = t;
    out.push({ node, inputs });
  });
  return out;
}

function frugalGradients(this: EngineInternals, original: EngineInternals['gradients'], f: () => tf.Tensor, xs: tf.Tensor[],
  dy?: tf.Tensor, allowNoGradients = false): { value: tf.Tensor; grads: tf.Tensor[] } {
  if (tf.getBackend() !== 'wasm' || this.state.gradientDepth > 0) return original.call(this, f, xs, dy, allowNoGradients);
  if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
  if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  const y = this.scopedRun(() => this.startTape(), () => this.endTape(), () => this.tidy('forward', f));
  if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
  const tape = this.state.activeTape ?? [];
  const nodes = pathNodes(tape, xs, y);
  if (!allowNoGradients && nodes.length === 0) {
    throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.');
  }
  const keep = new Set(xs.map((x) => x.id));
  return this.tidy('backward', () => {
    const acc = new Map<number, tf.Tensor>();
    acc.set(y.id, dy ?? tf.onesLike(y));
    for (let i = nodes.length - 1; i >= 0; i--) {
      const { node, inputs } = nodes[i];
      if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
      // A fused convolution's gradient (tfjs-core customGrad: inputs '0' = x, '1' = filter) computes dx
      // eagerly; when x needs none (a model's first convolution) the Conv2DBackpropInput kernel skips it.
      skipConvInput = FUSED_CONV_SCOPE.test(node.kernelName) && !('0' in inputs);
      let inputGradients: Record<string, () => tf.Tensor>;
      try {
        inputGradients = node.gradient(dys);
      } finally {
        skipConvInput = false;
      }
      for (const [name, x] of Object.entries(inputs)) {
        if (!(name in inputGradients)) throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
        const dx = this.tidy(() => inputGradients[name]());
        if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
        }
        const cur = acc.get(x.id);
        if (cur === undefined) acc.set(x.id, dx);
        else {
          acc.set(x.id, tf.add(cur, dx));
          cur.dispose();
          dx.dispose();
        }
      }
      // This node is done: its outputs' gradients and its saved tensors are needed no more.
      for (const o of node.outputs) {
        const g = acc.get(o.id);
        if (g !== undefined && !keep.has(o.id)) {
          acc.delete(o.id);
          // A gradient function may hand dy itself on as an input's gradient: then it lives on.
          let shared = false;
          for (const other of acc.values()) if (other === g) shared = true;
          if (g !== dy && !shared) g.dispose();
        }
      }
      for (const t of node.saved ?? []) t.dispose();
      node.saved = [];
    }
    const grads = xs.map((x) => acc.get(x.id) as tf.Tensor);
    for (const n of tape) for (const t of n.saved ?? []) t.dispose();
    this.state.activeTape = null;
    return { value: y, grads } as unknown as tf.TensorContainer;
  }) as unknown as { value: tf.Tensor; grads: tf.Tensor[] };
}

let installed: EngineInternals['gradients'] | null = null;

/** Installs frugal backpropagation on tfjs's engine (used while the backend is wasm). */
export function installFrugalGradients(): void {
  if (installed !== null) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.gradients;
  installed = original;
  engine.gradients = function (this: EngineInternals, f, xs, dy, allow) {
    return frugalGradients.call(this, original, f, xs, dy, allow);
  };
}

/** Puts tfjs's own `engine.gradients` back. */
export function uninstallFrugalGradients(): void {
  if (installed === null) return;
  (tf.engine() as unknown as EngineInternals).gradients = installed;
  installed = null;
}
