/**
 * Timing tensor work honestly: warm-up calls first (kernel compilation, allocation), then the median of
 * repeated runs, each waiting for the result to be read back so asynchronous backends are included.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as tf from '@tensorflow/tfjs';

export interface Timing {
  /** Median milliseconds per call. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly repeats: number;
}

export interface TimeOptions {
  readonly warmup?: number;
  readonly repeats?: number;
}

/**
 * Times `fn`, which returns a tensor (disposed after each call) or nothing. The median is reported:
 * on a shared 2-core machine the mean is dragged by the other process's bursts.
 */
export async function timeOp(fn: () => tf.Tensor | void, options: TimeOptions = {}): Promise<Timing> {
  const warmup = options.warmup ?? 2;
  const repeats = options.repeats ?? 5;
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`timeOp: repeats must be a positive integer, got ${repeats}`);
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const out = tf.tidy(() => fn());
    if (out) {
      await out.data();
      out.dispose();
    }
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push(await once());
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const medianMs = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { medianMs, minMs: times[0], maxMs: times[times.length - 1], repeats };
}

/** Times an n x n matrix product; returns the timing and its GFLOP/s (2·n³ per product). */
export async function benchMatMul(n: number, options: TimeOptions = {}): Promise<Timing & { n: number; gflops: number }> {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  try {
    const t = await timeOp(() => tf.matMul(a, b), options);
    return { ...t, n, gflops: (2 * n ** 3) / (t.medianMs * 1e6) };
  } finally {
    a.dispose();
    b.dispose();
  }
}
