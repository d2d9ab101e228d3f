/**
 * Measures how fast a model runs forward (inference) on the current backend, in images per second.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';

/** Options of {@link measureForwardSpeed}. */
export interface ForwardSpeedOptions {
  /** Images per batch (default 8). */
  readonly batchSize?: number;
  /** Untimed batches first (default 1: kernels compile, memory is allocated). */
  readonly warmup?: number;
  /** Timed batches (default 3); the median is reported. */
  readonly runs?: number;
}

/** One measurement. */
export interface ForwardSpeed {
  readonly model: string;
  readonly backend: string;
  readonly batchSize: number;
  /** Median wall time of one batch, ms. */
  readonly msPerBatch: number;
  readonly imagesPerSecond: number;
  readonly runs: number;
}

/**
 * Times `model.predict` on batches of random images shaped like the model's (single) input and returns
 * the median. The input tensor is made once; only the forward pass and reading the result are timed.
 * @see notebooks/04-model-construction.ipynb
 */
export async function measureForwardSpeed(model: tf.LayersModel, options: ForwardSpeedOptions = {}): Promise<ForwardSpeed> {
  const batchSize = options.batchSize ?? 8;
  const warmup = options.warmup ?? 1;
  const runs = options.runs ?? 3;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`warmup must be a non-negative integer, got ${warmup}`);
  const inputs = model.inputs.map((inp) => tf.randomUniform([batchSize, ...(inp.shape.slice(1) as number[])], 0, 1, 'float32', 1));
  const x = inputs.length === 1 ? inputs[0] : inputs;
  try {
    const times: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      const y = model.predict(x) as tf.Tensor | tf.Tensor[];
      const ys = Array.isArray(y) ? y : [y];
      await Promise.all(ys.map((t) => t.data()));
      const dt = performance.now() - t0;
      tf.dispose(ys);
      if (i >= warmup) times.push(dt);
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)];
    return { model: model.name, backend: tf.getBackend(), batchSize, msPerBatch: ms, imagesPerSecond: (1000 * batchSize) / ms, runs };
  } finally {
    tf.dispose(inputs);
  }
}
