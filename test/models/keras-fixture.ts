/**
 * A stand-in for Keras's `weights_mobilenet_v3_small_224_1.0_float[_no_top_v2].h5`, written with h5wasm: the
 * layers, names and shapes Keras 2's `MobileNetV3Small(alpha=1.0)` saves (transcribed here from
 * keras/applications/mobilenet_v3.py, independently of lib's model), with seeded random values.
 */
import type { KerasLayerToWrite } from '../../lib/models';
import { writeKerasWeights } from '../../lib/models';

/** Keras's `_depth` (round to a multiple of 8, never more than 10 % down). */
function depth(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** Keras's `stack_fn` of MobileNetV3Small: `_inverted_res_block(x, expansion, filters, kernel, stride, se_ratio, activation, block_id)`. */
const STACK: readonly { expansion: number; filters: number; kernel: number; se: boolean }[] = [
  { expansion: 1, filters: 16, kernel: 3, se: true },
  { expansion: 72 / 16, filters: 24, kernel: 3, se: false },
  { expansion: 88 / 24, filters: 24, kernel: 3, se: false },
  { expansion: 4, filters: 40, kernel: 5, se: true },
  { expansion: 6, filters: 40, kernel: 5, se: true },
  { expansion: 6, filters: 40, kernel: 5, se: true },
  { expansion: 3, filters: 48, kernel: 5, se: true },
  { expansion: 3, filters: 48, kernel: 5, se: true },
  { expansion: 6, filters: 96, kernel: 5, se: true },
  { expansion: 6, filters: 96, kernel: 5, se: true },
  { expansion: 6, filters: 96, kernel: 5, se: true },
];

/** One Keras layer's weights: names and shapes. */
export interface LayerSpec {
  readonly layer: string;
  readonly weights: readonly { readonly weight: string; readonly shape: readonly number[] }[];
}

const BN = (c: number) => ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((weight) => ({ weight, shape: [c] }));

/**
 * The layers of Keras's MobileNetV3Small in saving order, weightless ones included (as `layer_names` lists
 * them); with `top`, the classifier's `Conv_2` and `Logits` too.
 */
export function kerasSmallLayers(top = false): LayerSpec[] {
  const out: LayerSpec[] = [{ layer: 'input_1', weights: [] }, { layer: 'rescaling', weights: [] }];
  out.push({ layer: 'Conv', weights: [{ weight: 'kernel', shape: [3, 3, 3, 16] }] }, { layer: 'Conv/BatchNorm', weights: BN(16) }, { layer: 'tf.math.add', weights: [] });
  let inC = 16;
  STACK.forEach((b, id) => {
    const prefix = id === 0 ? 'expanded_conv/' : `expanded_conv_${id}/`;
    const c = depth(inC * b.expansion);
    if (id > 0) out.push({ layer: `${prefix}expand`, weights: [{ weight: 'kernel', shape: [1, 1, inC, c] }] }, { layer: `${prefix}expand/BatchNorm`, weights: BN(c) });
    out.push({ layer: `${prefix}depthwise`, weights: [{ weight: 'depthwise_kernel', shape: [b.kernel, b.kernel, c, 1] }] }, { layer: `${prefix}depthwise/BatchNorm`, weights: BN(c) });
    out.push({ layer: `re_lu_${id}`, weights: [] });
    if (b.se) {
      const sq = depth(c * 0.25);
      out.push({ layer: `${prefix}squeeze_excite/AvgPool`, weights: [] });
      out.push({ layer: `${prefix}squeeze_excite/Conv`, weights: [{ weight: 'kernel', shape: [1, 1, c, sq] }, { weight: 'bias', shape: [sq] }] });
      out.push({ layer: `${prefix}squeeze_excite/Conv_1`, weights: [{ weight: 'kernel', shape: [1, 1, sq, c] }, { weight: 'bias', shape: [c] }] });
      out.push({ layer: `${prefix}squeeze_excite/Mul`, weights: [] });
    }
    out.push({ layer: `${prefix}project`, weights: [{ weight: 'kernel', shape: [1, 1, c, b.filters] }] }, { layer: `${prefix}project/BatchNorm`, weights: BN(b.filters) });
    inC = b.filters;
  });
  out.push({ layer: 'Conv_1', weights: [{ weight: 'kernel', shape: [1, 1, 96, 576] }] }, { layer: 'Conv_1/BatchNorm', weights: BN(576) });
  if (top) {
    out.push({ layer: 'global_average_pooling2d', weights: [] });
    out.push({ layer: 'Conv_2', weights: [{ weight: 'kernel', shape: [1, 1, 576, 1024] }, { weight: 'bias', shape: [1024] }] });
    out.push({ layer: 'Logits', weights: [{ weight: 'kernel', shape: [1, 1, 1024, 1000] }, { weight: 'bias', shape: [1000] }] });
  }
  return out;
}

/** Seeded values, distinct per tensor (a linear congruential generator; variances kept positive). */
export function fixtureValues(specs: readonly LayerSpec[], seed = 1): KerasLayerToWrite[] {
  let x = seed >>> 0;
  const next = (): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  return specs.map((l) => ({
    layer: l.layer,
    weights: l.weights.map((w) => {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = w.weight === 'moving_variance' ? 0.5 + next() : next() * 2 - 1;
      return { weight: w.weight, shape: w.shape, values };
    }),
  }));
}

/** Writes the fixture (optionally changed by `edit`) to `file`; returns what was written. */
export async function writeKerasSmallFixture(file: string, options: { top?: boolean; seed?: number; edit?: (layers: LayerSpec[]) => LayerSpec[] } = {}): Promise<KerasLayerToWrite[]> {
  const specs = (options.edit ?? ((l) => l))(kerasSmallLayers(options.top));
  const layers = fixtureValues(specs, options.seed);
  await writeKerasWeights(file, layers);
  return layers;
}
