/**
 * The project's wasm SIMD kernels (src/kernels.c), instantiated on the tfjs wasm backend's own
 * WebAssembly.Memory so they read and write tensors where they are, with no copies.
 *
 * Two committed builds: `kernels-relaxed.wasm` (relaxed-SIMD fused multiply-add) and
 * `kernels-simd.wasm` (plain SIMD). The relaxed one is used when the runtime accepts it (Node 20 needs
 * V8's `--experimental-wasm-relaxed-simd`, which is switched on here before compiling). The env
 * variable `SIAMESE_WASM_KERNELS` = `auto` (default) | `relaxed` | `simd` | `off` overrides the choice.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { projectRoot } from '../../util/paths';
import type { WasmBackendInternals } from './wasm-backend-access';

/** Which build of the kernels. */
export type KernelVariant = 'relaxed' | 'simd';
/** What `SIAMESE_WASM_KERNELS` may ask for. */
export type KernelChoice = KernelVariant | 'auto' | 'off';

/** The functions src/kernels.c exports (pointers are byte offsets into the backend's memory). */
export interface KernelExports {
  gemm_work_floats(): number;
  conv_work_floats(kk: number): number;
  kernels_relaxed(): number;
  sgemm(M: number, N: number, K: number, A: number, rsA: number, csA: number, B: number, rsB: number, csB: number,
    C: number, ldc: number, accumulate: number, work: number): void;
  conv2d_forward(x: number, w: number, y: number, ...geomAndWork: number[]): void;
  conv2d_backprop_filter(x: number, dy: number, dw: number, ...geomAndWork: number[]): void;
  conv2d_backprop_input(dy: number, w: number, dx: number, ...geomAndWork: number[]): void;
  depthwise_work_floats(cols: number, KH: number, KW: number): number;
  depthwise_forward(x: number, w: number, y: number, ...geomAndWork: number[]): void;
  depthwise_backprop_input(dy: number, w: number, dx: number, multiplier: number, ...geomAndWork: number[]): void;
  depthwise_backprop_filter(x: number, dy: number, dw: number, multiplier: number, ...geom: number[]): void;
  adam_update(x: number, m: number, v: number, g: number, n: number, lr: number, b1: number, b2: number, eps: number,
    c1: number, c2: number): void;
  tile_f32(x: number, y: number, rank: number, meta: number): void;
  sum_rows(x: number, y: number, rows: number, cols: number, scale: number, acc: number): void;
  bn_train_forward(x: number, gamma: number, beta: number, y: number, mean: number, variance: number, invstd: number,
    rows: number, C: number, eps: number, work: number, act: number, pre: number): void;
  bn_train_backward(x: number, dy: number, gamma: number, beta: number, mean: number, invstd: number, dx: number, dgamma: number,
    dbeta: number, rows: number, C: number, work: number, act: number, pre: number): void;
  hard_swish_forward(x: number, y: number, n: number): void;
  hard_swish_backward(x: number, dy: number, dx: number, n: number): void;
  relu_backward(x: number, dy: number, dx: number, n: number): void;
  max_pool_backprop(x: number, dy: number, dx: number, ...geom: number[]): void;
  bias_activation(y: number, bias: number, rows: number, C: number, act: number): void;
  add_into(dst: number, src: number, n: number): void;
  fill_f32(p: number, n: number, value: number): void;
  pad_f32(x: number, y: number, rank: number, meta: number, value: number): void;
  transform_image(img: number, transforms: number, out: number, batchTransform: number, N: number, H: number, W: number,
    C: number, OH: number, OW: number, interpolation: number, fill: number, fillValue: number): void;
  colour_stage(x: number, out: number, N: number, P: number, C: number, f: number, a: number, mode: number, noise: number,
    slot: number, clampFirst: number, clampLast: number): void;
  batch_norm_infer(x: number, mean: number, variance: number, offset: number, scale: number, y: number, rows: number, C: number,
    eps: number, work: number): void;
  binary_inner(x: number, y: number, out: number, n: number, C: number, op: number, work: number): void;
  adam_torch_update(x: number, m: number, v: number, g: number, n: number, b1: number, omb1: number, b2: number, omb2: number,
    bc2: number, eps: number, step: number, l2: number, useL2: number, decay: number, useDecay: number): void;
}

/** Folder of the committed binaries and their source. */
export function kernelsDir(): string {
  return path.join(projectRoot(), 'lib', 'backend', 'kernels');
}

/** Path of one committed binary. */
export function kernelBinaryPath(variant: KernelVariant): string {
  return path.join(kernelsDir(), `kernels-${variant}.wasm`);
}

const bytesCache = new Map<KernelVariant, Buffer>();
function kernelBytes(variant: KernelVariant): Buffer {
  let bytes = bytesCache.get(variant);
  if (bytes === undefined) {
    const file = kernelBinaryPath(variant);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing; run \`npm run build:kernels\` (needs clang-16 and lld-16)`);
    bytes = fs.readFileSync(file);
    bytesCache.set(variant, bytes);
  }
  return bytes;
}

let relaxedFlagSet = false;
/** True when this runtime compiles relaxed SIMD (switching V8's flag on first, once). */
export function relaxedSimdSupported(): boolean {
  if (!relaxedFlagSet) {
    relaxedFlagSet = true;
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // a runtime without the flag; validation below answers
    }
  }
  try {
    return WebAssembly.validate(kernelBytes('relaxed'));
  } catch {
    return false;
  }
}

/** Parses `SIAMESE_WASM_KERNELS`. */
export function parseKernelChoice(value: string | undefined): KernelChoice {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'auto';
  if (v === 'auto' || v === 'relaxed' || v === 'simd' || v === 'off') return v;
  throw new Error(`SIAMESE_WASM_KERNELS=${JSON.stringify(value)} is not a choice; use auto, relaxed, simd or off`);
}

/** Picks the build for a choice, or null for `off`. */
export function resolveKernelVariant(choice: KernelChoice): KernelVariant | null {
  if (choice === 'off') return null;
  if (choice === 'simd') return 'simd';
  const relaxed = relaxedSimdSupported();
  if (choice === 'relaxed' && !relaxed) throw new Error('SIAMESE_WASM_KERNELS=relaxed but this runtime does not accept relaxed SIMD');
  return relaxed ? 'relaxed' : 'simd';
}

/**
 * The kernels instantiated on one backend's memory, plus one scratch buffer (allocated with the
 * backend's own malloc, grown on demand, kept for the life of the backend).
 */
export class KernelModule {
  readonly exports: KernelExports;
  private scratchPtr = 0;
  private scratchBytes = 0;

  constructor(readonly backend: WasmBackendInternals, readonly variant: KernelVariant) {
    const module = new WebAssembly.Module(kernelBytes(variant));
    const instance = new WebAssembly.Instance(module, { env: { memory: backend.wasm.asm.memory } });
    this.exports = instance.exports as unknown as KernelExports;
  }

  /** A scratch region of at least `floats` float32s (valid until the next call). */
  scratch(floats: number): number {
    const bytes = Math.max(floats, 1) * 4;
    if (bytes > this.scratchBytes) {
      if (this.scratchPtr !== 0) this.backend.wasm._free(this.scratchPtr);
      const grown = Math.max(bytes, Math.ceil(this.scratchBytes * 1.5));
      this.scratchPtr = this.backend.wasm._malloc(grown) >>> 0;
      if (this.scratchPtr === 0) throw new Error(`lib/backend/kernels: the wasm heap could not allocate ${grown} bytes of scratch`);
      this.scratchBytes = grown;
    }
    return this.scratchPtr;
  }

  /** Bytes of scratch held. */
  get scratchSize(): number {
    return this.scratchBytes;
  }
}

const modules = new WeakMap<WebAssembly.Memory, KernelModule>();

/** The kernel module for a backend (one per backend memory), instantiating it on first use. */
export function kernelModuleFor(backend: WasmBackendInternals, variant: KernelVariant): KernelModule {
  const memory = backend.wasm.asm.memory;
  let m = modules.get(memory);
  if (m === undefined || m.variant !== variant) {
    m = new KernelModule(backend, variant);
    modules.set(memory, m);
  }
  return m;
}
