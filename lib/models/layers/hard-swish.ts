/**
 * Hard swish, `x · relu6(x + 3) / 6`: MobileNetV3's cheap stand-in for swish (torchvision `Hardswish`,
 * Keras `hard_swish`). tfjs has no built-in for it; on wasm with the project's kernels it runs fused.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { fusedHardSwish } from '../../backend/kernels/fused-ops';
import { ElementwiseLayer } from './elementwise';

/** Arguments of {@link HardSwish}: only the common layer arguments (name, trainable, ...). */
export type HardSwishArgs = LayerArgs;

/**
 * Element-wise hard swish; the output has the input's shape.
 * @see notebooks/04-model-construction.ipynb
 */
export class HardSwish extends ElementwiseLayer {
  static readonly className = 'HardSwish';

  constructor(args: HardSwishArgs = {}) {
    super(args);
  }

  protected override fn(x: tf.Tensor): tf.Tensor {
    return hardSwishOp(x);
  }
}

/**
 * Hard swish of a tensor: one kernel each way on wasm with the project's kernels (lib/backend/kernels
 * fused-ops), tfjs's ops elsewhere.
 * @see notebooks/04-model-construction.ipynb
 */
export function hardSwishOp(x: tf.Tensor): tf.Tensor {
  return fusedHardSwish(x) ?? tf.tidy(() => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)));
}

/**
 * Factory in the tfjs style: `hardSwish({name})`.
 * @see notebooks/04-model-construction.ipynb
 */
export function hardSwish(args: HardSwishArgs = {}): HardSwish {
  return new HardSwish(args);
}

tf.serialization.registerClass(HardSwish);
