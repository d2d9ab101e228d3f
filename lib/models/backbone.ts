/**
 * Which layers of MobileNetV3-Small (lib/models/mobilenet-v3-small.ts) form its backbone: every layer but the
 * embedding head's (`head_*`). Its own module so that pretrained-weight loading (pretrained.ts) and the
 * builder can both use it without importing each other.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * Whether a layer of a model built here belongs to the backbone (everything but the `head_` layers).
 * @see notebooks/04-model-construction.ipynb
 */
export function isBackboneLayer(layer: tf.layers.Layer): boolean {
  return !layer.name.startsWith('head_');
}
