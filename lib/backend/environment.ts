/**
 * A report of the machine and software the project runs on: what `siamese env` prints and notebook 00
 * shows. Plain data, so it can be saved beside results.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as os from 'node:os';
import { installedPackage } from '../util/packages';
import { initBackend, type BackendInfo, type InitBackendOptions } from './select';

export interface EnvironmentReport {
  readonly node: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly backend: BackendInfo;
  /** Versions of the packages the project is built on (null: not installed). */
  readonly packages: Readonly<Record<string, string | null>>;
  /** WebAssembly features this runtime offers. */
  readonly wasm: { readonly simd: boolean; readonly relaxedSimd: boolean; readonly threads: boolean };
  /** The project's environment variables and their values (or defaults). */
  readonly variables: Readonly<Record<string, string>>;
}

const PACKAGES = [
  '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node',
  'sharp', 'tslab', 'danfojs-node', 'plotly.js-dist', 'commander',
];

function version(pkg: string): string | null {
  const info = installedPackage(pkg);
  if (info === null) return null;
  return info.name === pkg ? info.version : `not installed (an npm alias for ${info.name} ${info.version})`;
}

/** Wasm threads need shared memory (and Atomics); probe it directly. */
function wasmThreads(): boolean {
  try {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return mem.buffer instanceof SharedArrayBuffer && typeof Atomics.wait === 'function';
  } catch {
    return false;
  }
}

/** Validates a tiny module using one instruction of a feature (the test vectors of wasm-feature-detect). */
function wasmSupports(bytes: number[]): boolean {
  try {
    return WebAssembly.validate(new Uint8Array(bytes));
  } catch {
    return false;
  }
}

const HEADER = [0, 97, 115, 109, 1, 0, 0, 0];
/** (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt) */
const SIMD = [...HEADER, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];
/** (func (result v128) v128.const 0 ... i32x4.relaxed_trunc_f32x4_s) */
const RELAXED_SIMD = [...HEADER, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11];

/** Collects the report (initialises the backend if it is not yet). */
export async function environmentReport(options: InitBackendOptions = {}): Promise<EnvironmentReport> {
  const backend = await initBackend(options);
  const cpus = os.cpus();
  const packages: Record<string, string | null> = {};
  for (const p of PACKAGES) packages[p] = version(p);
  let sharpLibvips: string | null = null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sharpLibvips = (require('sharp') as { versions: { vips: string } }).versions.vips;
  } catch {
    sharpLibvips = null;
  }
  if (sharpLibvips) packages['libvips (in sharp)'] = sharpLibvips;
  const env = process.env;
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism ? os.availableParallelism() : cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    backend,
    packages,
    wasm: { simd: wasmSupports(SIMD), relaxedSimd: wasmSupports(RELAXED_SIMD), threads: wasmThreads() },
    variables: {
      SIAMESE_BACKEND: env.SIAMESE_BACKEND || '(unset: automatic)',
      SIAMESE_DATA: env.SIAMESE_DATA || '(unset: <project>/data)',
      LFW_DIR: env.LFW_DIR || '(unset: no real LFW; the built-in synthetic set is used)',
      RUN_SLOW: env.RUN_SLOW || '(unset)',
    },
  };
}

/** The report as aligned text lines, for the terminal. */
export function formatEnvironmentReport(r: EnvironmentReport): string {
  const rows: [string, string][] = [
    ['node', r.node],
    ['platform', r.platform],
    ['cpu', `${r.cpu} (${r.cores} cores)`],
    ['memory', `${r.memoryGiB} GiB`],
    ['backend', `${r.backend.name} (${r.backend.reason})`],
    ...r.backend.notes.map((n): [string, string] => ['', n]),
    ['wasm features', `simd ${r.wasm.simd ? 'yes' : 'no'}, relaxed-simd ${r.wasm.relaxedSimd ? 'yes' : 'no'}, threads ${r.wasm.threads ? 'yes' : 'no'}`],
    ...Object.entries(r.packages).map(([k, v]): [string, string] => [k, v ?? 'not installed']),
    ...Object.entries(r.variables).map(([k, v]): [string, string] => [k, v]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
