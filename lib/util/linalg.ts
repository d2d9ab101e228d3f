/**
 * The little linear algebra the synthetic set's difficulty check needs, on plain Float64Arrays
 * (row-major): symmetric eigen-decomposition (cyclic Jacobi, for small matrices), top-k eigenvectors of
 * a large symmetric matrix (subspace iteration), and Fisher's LDA on top of PCA.
 */

/** A dense row-major matrix. */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function mat(rows: number, cols: number): Mat {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Eigenvalues (descending) and eigenvectors (columns of `vectors`) of a small symmetric matrix. */
export function symmetricEigen(a: Mat, sweeps = 60): { values: Float64Array; vectors: Mat } {
  const n = a.rows;
  const A = Float64Array.from(a.data);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q];
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p], vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j] - A[i * n + i]);
  const values = Float64Array.from(order, (i) => A[i * n + i]);
  const vectors = mat(n, n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors.data[k * n + dst] = V[k * n + src];
  });
  return { values, vectors };
}

/** Orthonormalises the columns of `q` (n x k) in place (modified Gram-Schmidt). */
function orthonormalise(q: Mat): void {
  const { rows: n, cols: k, data } = q;
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += data[r * k + i] * data[r * k + j];
      for (let r = 0; r < n; r++) data[r * k + j] -= dot * data[r * k + i];
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += data[r * k + j] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let r = 0; r < n; r++) data[r * k + j] /= norm;
  }
}

/** `a` (n x n, symmetric) times `q` (n x k). */
function mulSym(a: Mat, q: Mat): Mat {
  const n = a.rows, k = q.cols;
  const out = mat(n, k);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    for (let j = 0; j < n; j++) {
      const aij = a.data[i * n + j];
      if (aij === 0) continue;
      const qo = j * k;
      for (let c = 0; c < k; c++) out.data[o + c] += aij * q.data[qo + c];
    }
  }
  return out;
}

/** The top `k` eigenpairs of a symmetric positive semi-definite `a`, by subspace iteration. */
export function topEigen(a: Mat, k: number, iterations = 30): { values: Float64Array; vectors: Mat } {
  const n = a.rows;
  let q = mat(n, k);
  // A deterministic, well-spread start.
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) q.data[i * k + j] = Math.sin(1 + i * 12.9898 + j * 78.233) * 43758.5453 % 1;
  orthonormalise(q);
  for (let it = 0; it < iterations; it++) {
    q = mulSym(a, q);
    orthonormalise(q);
  }
  // Rayleigh-Ritz: rotate the subspace to eigenvectors.
  const aq = mulSym(a, q);
  const small = mat(k, k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += q.data[r * k + i] * aq.data[r * k + j];
    small.data[i * k + j] = s;
  }
  const e = symmetricEigen(small);
  const vectors = mat(n, k);
  for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += q.data[r * k + i] * e.vectors.data[i * k + j];
    vectors.data[r * k + j] = s;
  }
  return { values: e.values, vectors };
}

/** A learned linear map: `project(x)` gives the embedding of one feature vector. */
export interface LinearProjection {
  readonly dims: number;
  project(x: ArrayLike<number>): Float64Array;
}

/**
 * PCA to `pcaDims` (via the Gram matrix, cheap when samples < features), then Fisher LDA to at most
 * `ldaDims` (and classes - 1) dimensions: within-class scatter whitened, between-class scatter's top
 * directions kept.
 */
export function fitPcaLda(xs: readonly ArrayLike<number>[], labels: readonly number[], pcaDims: number, ldaDims: number): LinearProjection {
  const n = xs.length, d = xs[0].length;
  const mean = new Float64Array(d);
  for (const x of xs) for (let j = 0; j < d; j++) mean[j] += x[j] / n;
  const centred = xs.map((x) => Float64Array.from({ length: d }, (_, j) => x[j] - mean[j]));
  const gram = mat(n, n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) {
    let s = 0;
    const a = centred[i], b = centred[j];
    for (let c = 0; c < d; c++) s += a[c] * b[c];
    gram.data[i * n + j] = s;
    gram.data[j * n + i] = s;
  }
  const k = Math.min(pcaDims, n - 1, d);
  const pca = topEigen(gram, k);
  // PCA directions in feature space: X^T u / sqrt(lambda).
  const dirs: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const lam = pca.values[c];
    const v = new Float64Array(d);
    if (lam > 1e-9) {
      for (let i = 0; i < n; i++) {
        const u = pca.vectors.data[i * k + c] / Math.sqrt(lam);
        if (u === 0) continue;
        for (let j = 0; j < d; j++) v[j] += u * centred[i][j];
      }
    }
    dirs.push(v);
  }
  const toPca = (x: ArrayLike<number>): Float64Array => Float64Array.from(dirs, (v) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (x[j] - mean[j]) * v[j];
    return s;
  });
  const zs = xs.map(toPca);
  const classes = [...new Set(labels)];
  const means = new Map<number, Float64Array>();
  const counts = new Map<number, number>();
  for (const c of classes) { means.set(c, new Float64Array(k)); counts.set(c, 0); }
  zs.forEach((z, i) => {
    const m = means.get(labels[i]) as Float64Array;
    for (let j = 0; j < k; j++) m[j] += z[j];
    counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  });
  for (const c of classes) { const m = means.get(c) as Float64Array; const cnt = counts.get(c) ?? 1; for (let j = 0; j < k; j++) m[j] /= cnt; }
  const sw = mat(k, k), sb = mat(k, k);
  zs.forEach((z, i) => {
    const m = means.get(labels[i]) as Float64Array;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) sw.data[a * k + b] += (z[a] - m[a]) * (z[b] - m[b]);
  });
  for (const c of classes) {
    const m = means.get(c) as Float64Array, cnt = counts.get(c) ?? 0;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) sb.data[a * k + b] += cnt * m[a] * m[b];
  }
  // Whiten the within-class scatter (with a small ridge), then take between-class directions.
  let trace = 0;
  for (let a = 0; a < k; a++) trace += sw.data[a * k + a];
  for (let a = 0; a < k; a++) sw.data[a * k + a] += (1e-3 * trace) / k;
  const we = symmetricEigen(sw);
  const white = mat(k, k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) white.data[a * k + b] = we.vectors.data[a * k + b] / Math.sqrt(Math.max(we.values[b], 1e-12));
  const sbW = mat(k, k), sbw = mat(k, k);
  for (let i = 0; i < k; i++) for (let b = 0; b < k; b++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += sb.data[i * k + j] * white.data[j * k + b];
    sbW.data[i * k + b] = s;
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += white.data[i * k + a] * sbW.data[i * k + b];
    sbw.data[a * k + b] = s;
  }
  const be = symmetricEigen(sbw);
  const m = Math.min(ldaDims, classes.length - 1, k);
  const proj = mat(k, m);
  for (let a = 0; a < k; a++) for (let c = 0; c < m; c++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += white.data[a * k + i] * be.vectors.data[i * k + c];
    proj.data[a * m + c] = s;
  }
  return {
    dims: m,
    project(x: ArrayLike<number>): Float64Array {
      const z = toPca(x);
      const out = new Float64Array(m);
      for (let a = 0; a < k; a++) for (let c = 0; c < m; c++) out[c] += z[a] * proj.data[a * m + c];
      return out;
    },
  };
}
