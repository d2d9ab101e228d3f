/**
 * Reading and restoring everything a training run's state holds inside a model: every weight (trainable
 * and not, e.g. batch-norm moving statistics) and the call counters of seeded dropout layers.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorRecord } from './checkpoint';

/** The weights of `model` as named records, in `model.weights` order (`w000:<name>`). */
export async function readModelWeights(model: tf.LayersModel): Promise<Map<string, TensorRecord>> {
  const out = new Map<string, TensorRecord>();
  const weights = model.weights;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    const values = (await w.read().data()) as Float32Array;
    out.set(`w${String(i).padStart(3, '0')}:${w.originalName}`, { shape: w.shape.slice() as number[], values: new Float32Array(values) });
  }
  return out;
}

/** Writes records from {@link readModelWeights} back; names and shapes must match exactly. */
export function restoreModelWeights(model: tf.LayersModel, records: ReadonlyMap<string, TensorRecord>, where: string): void {
  const weights = model.weights;
  const entries = [...records].filter(([k]) => /^w\d{3}:/.test(k));
  if (entries.length !== weights.length) {
    throw new Error(`${where}: holds ${entries.length} weights, the model has ${weights.length} (a different model or config?)`);
  }
  const values: tf.Tensor[] = [];
  weights.forEach((w, i) => {
    const [key, rec] = entries[i];
    const expected = `w${String(i).padStart(3, '0')}:${w.originalName}`;
    if (key !== expected || rec.shape.join('x') !== w.shape.join('x')) {
      throw new Error(`${where}: weight ${i} is ${key} [${rec.shape}], the model expects ${expected} [${w.shape}]`);
    }
    values.push(tf.tensor(rec.values, rec.shape as number[], 'float32'));
  });
  weights.forEach((w, i) => w.write(values[i]));
  tf.dispose(values);
}

interface Counting { name: string; maskStep: number }

/** Every layer, nested models included, that counts its random draws (seeded dropout). */
function countingLayers(model: tf.LayersModel): Counting[] {
  const out: Counting[] = [];
  const visit = (layers: tf.layers.Layer[]): void => {
    for (const l of layers) {
      const nested = (l as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (Array.isArray(nested)) visit(nested);
      else if (typeof (l as unknown as Counting).maskStep === 'number') out.push(l as unknown as Counting);
    }
  };
  visit(model.layers);
  return out;
}

/** The dropout call counters, by layer name. */
export function readMaskSteps(model: tf.LayersModel): Record<string, number> {
  return Object.fromEntries(countingLayers(model).map((l) => [l.name, l.maskStep]));
}

/** Restores counters from {@link readMaskSteps}. */
export function restoreMaskSteps(model: tf.LayersModel, steps: Readonly<Record<string, number>>): void {
  for (const l of countingLayers(model)) {
    if (steps[l.name] === undefined) throw new Error(`checkpoint has no dropout counter for layer ${l.name}`);
    l.maskStep = steps[l.name];
  }
}
