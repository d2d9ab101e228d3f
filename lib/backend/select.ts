/**
 * Chooses and initialises the tfjs backend, once per process.
 *
 * Order of preference: `tfjs-node-gpu` (CUDA through libtensorflow), `tfjs-node` (libtensorflow on the
 * CPU), `wasm` (XNNPACK plus the project's own training kernels), `cpu` (pure JS, a last resort: far
 * too slow to train). `SIAMESE_BACKEND` forces one; a forced backend that cannot load falls back along
 * the same chain, and the message says so. The choice and the reason are printed once and returned as
 * data, so notebooks, the CLI and reports can show them.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmKernels } from './kernels/register-wasm-kernels';
import { installedPackage } from '../util/packages';

/** The backends the project knows, in order of preference. */
export const BACKEND_CHAIN = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_CHAIN)[number];

/** One backend that was tried, and what happened. */
export interface BackendAttempt {
  readonly name: BackendName;
  readonly ok: boolean;
  readonly reason: string;
}

/** What `initBackend` chose, and why. */
export interface BackendInfo {
  /** The project's name for the backend in use. */
  readonly name: BackendName;
  /** tfjs's own name for it (`tensorflow`, `wasm` or `cpu`). */
  readonly tfjsName: string;
  /** The backend that was asked for (`SIAMESE_BACKEND` or the option), or null for automatic. */
  readonly requested: BackendName | null;
  /** One sentence: why this one. */
  readonly reason: string;
  /** Every backend tried, in order. */
  readonly attempts: readonly BackendAttempt[];
  /** Versions of tfjs and the backend package. */
  readonly versions: Readonly<Record<string, string>>;
  /** Extra facts, e.g. which project kernels were registered on wasm. */
  readonly notes: readonly string[];
}

export interface InitBackendOptions {
  /** Force a backend (overrides `SIAMESE_BACKEND`). */
  readonly backend?: BackendName;
  /** Print nothing. Default false: the choice is printed once. */
  readonly quiet?: boolean;
  /** Environment to read `SIAMESE_BACKEND` from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Hooks that run after a backend is set, e.g. registering the project's wasm training kernels.
 * A hook returns notes to report (or nothing).
 */
type BackendHook = (name: BackendName) => string[] | void;
const hooks: BackendHook[] = [];

/** Registers a function to run once the backend is chosen (used by lib/backend's kernel registration). */
export function onBackendReady(hook: BackendHook): void {
  hooks.push(hook);
}

let chosen: Promise<BackendInfo> | null = null;

/** Parses a backend name, with an error that lists the valid ones. */
export function parseBackendName(value: string, source = 'SIAMESE_BACKEND'): BackendName {
  const v = value.trim().toLowerCase();
  if ((BACKEND_CHAIN as readonly string[]).includes(v)) return v as BackendName;
  throw new Error(`${source}=${JSON.stringify(value)} is not a backend; use one of ${BACKEND_CHAIN.join(', ')}`);
}

/** The version of `pkg` if it is really installed under that name (npm aliases are not it). */
function packageVersion(pkg: string): string | null {
  const info = installedPackage(pkg);
  return info !== null && info.name === pkg ? info.version : null;
}

function errorMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}

/** Tries one backend; resolves to the tfjs backend name on success, throws with a reason otherwise. */
async function tryBackend(name: BackendName): Promise<string> {
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      const pkg = `@tensorflow/${name}`;
      if (packageVersion(pkg) === null) {
        const alias = installedPackage(pkg);
        throw new Error(alias ? `not installed (the folder is an npm alias for ${alias.name})` : 'not installed (see environment.md for the one-line opt-in)');
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(pkg); // registers the 'tensorflow' backend; throws if libtensorflow is missing
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the 'tensorflow' backend did not initialise`);
      return 'tensorflow';
    }
    case 'wasm': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
      return 'wasm';
    }
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
      return 'cpu';
    }
  }
}

/** Human-readable reason for the final choice. */
function describe(name: BackendName, requested: BackendName | null, attempts: BackendAttempt[]): string {
  const failed = attempts.filter((a) => !a.ok);
  if (requested === name) return `forced by request`;
  const why = failed.map((a) => `${a.name}: ${a.reason}`).join('; ');
  if (requested !== null) return `${requested} was requested but could not load (${why}); fell back to ${name}`;
  if (failed.length === 0) return 'the first choice, available';
  return `best available (${why})`;
}

async function select(options: InitBackendOptions): Promise<BackendInfo> {
  const env = options.env ?? process.env;
  const fromEnv = env.SIAMESE_BACKEND && env.SIAMESE_BACKEND.trim() !== '' ? parseBackendName(env.SIAMESE_BACKEND) : null;
  const requested = options.backend ?? fromEnv;
  const start = requested === null ? 0 : BACKEND_CHAIN.indexOf(requested);
  const attempts: BackendAttempt[] = [];
  for (const name of BACKEND_CHAIN.slice(start)) {
    try {
      const tfjsName = await tryBackend(name);
      await tf.ready();
      attempts.push({ name, ok: true, reason: 'initialised' });
      const notes: string[] = [];
      for (const hook of hooks) notes.push(...(hook(name) ?? []));
      const versions: Record<string, string> = { '@tensorflow/tfjs': tf.version.tfjs };
      const pkg = name === 'cpu' ? null : name === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : `@tensorflow/${name}`;
      if (pkg) versions[pkg] = packageVersion(pkg) ?? 'unknown';
      return { name, tfjsName, requested, reason: describe(name, requested, attempts), attempts, versions, notes };
    } catch (err) {
      attempts.push({ name, ok: false, reason: errorMessage(err) });
    }
  }
  throw new Error(`No tfjs backend could be initialised: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`);
}

/**
 * Selects and initialises the backend the first time it is called; later calls return the same
 * answer (options are then ignored unless they ask for a different backend, which is an error).
 * Prints one line, e.g. `backend: wasm (best available (tfjs-node-gpu: ... not installed ...))`.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (chosen === null) {
    chosen = select(options).then((info) => {
      if (!options.quiet) console.log(formatBackendInfo(info));
      return info;
    });
    chosen.catch(() => {
      chosen = null;
    });
    return chosen;
  }
  const info = await chosen;
  if (options.backend && options.backend !== info.name && info.requested !== options.backend) {
    throw new Error(`The backend is already ${info.name} in this process; restart (the kernel or the command) to use ${options.backend}`);
  }
  return info;
}

/** One line for logs: `backend: wasm — best available (...)`. */
export function formatBackendInfo(info: BackendInfo): string {
  const notes = info.notes.length ? ` [${info.notes.join('; ')}]` : '';
  return `backend: ${info.name} (${info.reason})${notes}`;
}

/** Forgets the choice so the next `initBackend` selects again. For tests only. */
export function resetBackendForTests(): void {
  chosen = null;
}

/** The project's wasm training kernels register whenever wasm is chosen (see lib/backend/kernels). */
onBackendReady((name) => {
  if (name !== 'wasm') return [];
  try {
    return [registerWasmKernels().note];
  } catch (err) {
    return [`wasm kernels: NOT registered (${errorMessage(err)}); training on wasm will fail`];
  }
});
