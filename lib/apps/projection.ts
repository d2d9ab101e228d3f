/**
 * 2-D maps of embeddings: PCA (exact, linear: what the embedding space looks like from its two widest
 * directions) and UMAP (non-linear, via the npm package `umap-js`: who is near whom). Both are deterministic:
 * PCA by a fixed sign convention, UMAP by a seeded random stream, so the same seed gives the same map.
 *
 * @see notebooks/08-applications.ipynb
 */
import { UMAP } from 'umap-js';
import { symmetricEigen, mat } from '../util/linalg';
import type { Rng } from '../util/rng';
import { stream } from '../util/streams';

/** A PCA fit: the coordinates of the inputs and what they mean. */
export interface PcaResult {
  /** One row per input: its coordinates on the principal axes. */
  readonly coords: number[][];
  /** Principal axes (unit vectors in the input space), widest first. */
  readonly axes: number[][];
  /** Variance along each axis (divided by n - 1). */
  readonly variance: number[];
  /** Fraction of the total variance along each axis. */
  readonly varianceRatio: number[];
  readonly mean: number[];
}

function checkRows(xs: readonly (readonly number[])[], what: string, minRows: number): number {
  if (xs.length < minRows) throw new RangeError(`${what} needs at least ${minRows} vectors, got ${xs.length}`);
  const d = xs[0].length;
  if (d === 0) throw new RangeError(`${what}: vectors are empty`);
  xs.forEach((x, i) => {
    if (x.length !== d) throw new RangeError(`${what}: vector ${i} has ${x.length} values, vector 0 has ${d}`);
    for (const v of x) if (!Number.isFinite(v)) throw new RangeError(`${what}: vector ${i} holds ${v}, expected finite numbers`);
  });
  return d;
}

/**
 * Exact PCA to `dims` dimensions by eigen-decomposition (Jacobi) of the covariance matrix, or of the Gram
 * matrix when there are fewer vectors than features (then axis = Xᵀu / √λ): the same axes, a smaller matrix.
 * Sign convention: each axis is flipped so that its largest-magnitude component is positive (the first one
 * on a tie), so the map never mirrors between runs or machines.
 */
export function pca(xs: readonly (readonly number[])[], dims = 2): PcaResult {
  const d = checkRows(xs, 'pca', 2);
  const n = xs.length;
  if (!Number.isInteger(dims) || dims < 1 || dims > Math.min(d, n)) throw new RangeError(`pca dims must be an integer in [1, ${Math.min(d, n)}], got ${dims}`);
  const mean = new Array<number>(d).fill(0);
  for (const x of xs) for (let j = 0; j < d; j++) mean[j] += x[j] / n;
  const centred = xs.map((x) => Float64Array.from(x, (v, j) => v - mean[j]));
  const dot = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let j = 0; j < a.length; j++) s += a[j] * b[j];
    return s;
  };
  const axes: Float64Array[] = [];
  const eigenvalues: number[] = [];
  let total = 0;
  if (d <= n) {
    const cov = mat(d, d);
    for (const x of centred) for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov.data[a * d + b] += x[a] * x[b];
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov.data[a * d + b] = cov.data[b * d + a];
    const e = symmetricEigen(cov);
    for (let a = 0; a < d; a++) total += cov.data[a * d + a];
    for (let c = 0; c < dims; c++) {
      axes.push(Float64Array.from({ length: d }, (_, j) => e.vectors.data[j * d + c]));
      eigenvalues.push(Math.max(0, e.values[c]));
    }
  } else {
    const gram = mat(n, n);
    for (let i = 0; i < n; i++) for (let k = i; k < n; k++) gram.data[i * n + k] = gram.data[k * n + i] = dot(centred[i], centred[k]);
    const e = symmetricEigen(gram);
    for (let i = 0; i < n; i++) total += gram.data[i * n + i];
    for (let c = 0; c < dims; c++) {
      const lam = Math.max(0, e.values[c]);
      const axis = new Float64Array(d);
      if (lam > 1e-12 * (total || 1)) {
        for (let i = 0; i < n; i++) {
          const u = e.vectors.data[i * n + c] / Math.sqrt(lam);
          for (let j = 0; j < d; j++) axis[j] += u * centred[i][j];
        }
      }
      axes.push(axis);
      eigenvalues.push(lam);
    }
  }
  for (const axis of axes) {
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(axis[j]) > Math.abs(axis[big]) + 1e-12) big = j;
    if (axis[big] < 0) for (let j = 0; j < d; j++) axis[j] = -axis[j];
  }
  return {
    coords: centred.map((x) => axes.map((a) => dot(x, a))),
    axes: axes.map((a) => Array.from(a)),
    variance: eigenvalues.map((l) => l / (n - 1)),
    varianceRatio: eigenvalues.map((l) => (total > 0 ? l / total : 0)),
    mean,
  };
}

/** UMAP knobs; every field has a default. */
export interface UmapOptions {
  /** Seed of UMAP's random stream (default 0). */
  readonly seed?: number;
  /** Neighbours that define "local" (default 15, capped at n - 1). */
  readonly nNeighbors?: number;
  /** How tightly points may pack in the map (default 0.1). */
  readonly minDist?: number;
  /** Optimisation epochs (default: umap-js's choice, 500 for small sets). */
  readonly nEpochs?: number;
  /** Distance between inputs (default Euclidean, what the project's models compare with). */
  readonly distance?: (a: number[], b: number[]) => number;
}

/**
 * UMAP to 2-D with `umap-js`, its randomness drawn from the project's seeded {@link Rng} instead of
 * `Math.random`, so one seed gives one map. Needs at least 3 vectors.
 */
export function umap(xs: readonly (readonly number[])[], options: UmapOptions = {}): number[][] {
  checkRows(xs, 'umap', 3);
  const rng = stream(options.seed ?? 0, 'umap');
  const nNeighbors = Math.min(options.nNeighbors ?? 15, xs.length - 1);
  if (!(nNeighbors >= 2)) throw new RangeError(`umap nNeighbors must be at least 2, got ${options.nNeighbors}`);
  const params = {
    nComponents: 2, nNeighbors, minDist: options.minDist ?? 0.1, random: () => rng.float(),
    ...(options.nEpochs === undefined ? {} : { nEpochs: options.nEpochs }),
    ...(options.distance === undefined ? {} : { distanceFn: options.distance }),
  };
  return new UMAP(params).fit(xs.map((x) => Array.from(x)));
}

/** The two map methods by name, for a config knob. */
export type ProjectionMethod = 'pca' | 'umap';

/** 2-D coordinates of `xs` by `method` (UMAP options apply to UMAP only). */
export function project2d(xs: readonly (readonly number[])[], method: ProjectionMethod, options: UmapOptions = {}): number[][] {
  if (method === 'pca') return pca(xs, 2).coords;
  if (method === 'umap') return umap(xs, options);
  throw new RangeError(`unknown projection ${JSON.stringify(method)}; use 'pca' or 'umap'`);
}
