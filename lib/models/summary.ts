/**
 * Parameter counts and a table-shaped summary of a model, for notebooks (`display.table`) and reports.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';

/** Parameter counts: trainable, non-trainable (batch-norm moving statistics, frozen layers) and total. */
export interface ParamCounts {
  readonly trainable: number;
  readonly nonTrainable: number;
  readonly total: number;
  /** Bytes of all weights in float32. */
  readonly float32Bytes: number;
}

function size(v: tf.LayerVariable): number {
  return v.shape.reduce((a: number, b) => a * (b as number), 1);
}

/**
 * Parameter counts of `model` (weights shared between layers are counted once).
 * @see notebooks/04-model-construction.ipynb
 */
export function countParams(model: tf.LayersModel | tf.layers.Layer): ParamCounts {
  const seen = new Set<tf.LayerVariable>();
  const sum = (vs: tf.LayerVariable[]): number => vs.reduce((s, v) => (seen.has(v) ? s : (seen.add(v), s + size(v))), 0);
  const trainable = sum(model.trainableWeights);
  const nonTrainable = sum(model.nonTrainableWeights);
  return { trainable, nonTrainable, total: trainable + nonTrainable, float32Bytes: 4 * (trainable + nonTrainable) };
}

/** One row of {@link summaryRows} (a type alias, so rows pass as `Record<string, unknown>` to `display.table`). */
export type SummaryRow = {
  readonly layer: string;
  readonly type: string;
  readonly outputShape: string;
  readonly params: number;
  /** How many times the layer is applied in this model (2 for a Siamese model's shared embedding net). */
  readonly calls: number;
};

/**
 * One row per layer (nested models stay one row), like `model.summary()` but as data; a layer that applies an
 * activation says so in its type (`FreezableBatchNorm + hardSwish`).
 * @see notebooks/04-model-construction.ipynb
 */
export function summaryRows(model: tf.LayersModel): SummaryRow[] {
  // tfjs keeps the keys `${layer.name}_ib-${i}` of the nodes that belong to this model in containerNodes
  // (a layer's inboundNodes also list its uses in other models, and a nested model's own input node).
  const nodes = (model as unknown as { containerNodes?: Set<string> }).containerNodes;
  return model.layers.map((layer) => {
    const calls = nodes ? layer.inboundNodes.filter((_, i) => nodes.has(`${layer.name}_ib-${i}`)).length : layer.inboundNodes.length;
    let outputShape: string;
    try {
      outputShape = JSON.stringify(layer.outputShape).replace(/null/g, 'n');
    } catch {
      outputShape = 'multiple';
    }
    return { layer: layer.name, type: typeOf(layer), outputShape, params: layer.countParams(), calls };
  });
}

/** The layer's class, and the activations it applies (`FreezableBatchNorm + hardSwish`, `relu + FreezableBatchNorm`, `Dense + sigmoid`). */
function typeOf(layer: tf.layers.Layer): string {
  const act = (layer as unknown as { activation?: unknown }).activation;
  const name = typeof act === 'string' ? act
    : act !== null && typeof act === 'object' && typeof (act as { getClassName?: unknown }).getClassName === 'function'
      ? (act as { getClassName(): string }).getClassName() : 'linear';
  const input = (layer as unknown as { inputActivation?: unknown }).inputActivation;
  const type = typeof input === 'string' ? `${input} + ${layer.getClassName()}` : layer.getClassName();
  return name === 'linear' ? type : `${type} + ${name}`;
}

