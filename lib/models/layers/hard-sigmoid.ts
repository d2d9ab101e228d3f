/**
 * Hard sigmoid, `relu6(x + 3) / 6`, as torchvision's `Hardsigmoid` and Keras MobileNetV3 define it (the
 * squeeze-excite gate). tfjs's built-in `hardSigmoid` activation is a different function
 * (`clip(0.2·x + 0.5, 0, 1)`), so MobileNetV3 needs this one to match the reference weights.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { ElementwiseLayer } from './elementwise';

/** Arguments of {@link HardSigmoid}: only the common layer arguments. */
export type HardSigmoidArgs = LayerArgs;

/**
 * Element-wise `relu6(x + 3) / 6`; the output has the input's shape.
 * @see notebooks/04-model-construction.ipynb
 */
export class HardSigmoid extends ElementwiseLayer {
  static readonly className: string = 'HardSigmoid';

  constructor(args: HardSigmoidArgs = {}) {
    super(args);
  }

  protected override fn(x: tf.Tensor): tf.Tensor {
    return tf.div(tf.relu6(tf.add(x, 3)), 6);
  }
}

/**
 * Factory in the tfjs style: `hardSigmoid({name})`.
 * @see notebooks/04-model-construction.ipynb
 */
export function hardSigmoid(args: HardSigmoidArgs = {}): HardSigmoid {
  return new HardSigmoid(args);
}

/**
 * The name this layer was registered under before it matched the class (`'HardSigmoid6'`): model.json files
 * saved then name it, so it stays registered and loads as the same layer.
 */
export class HardSigmoidLegacyName extends HardSigmoid {
  static override readonly className: string = 'HardSigmoid6';
}

tf.serialization.registerClass(HardSigmoid);
tf.serialization.registerClass(HardSigmoidLegacyName);
