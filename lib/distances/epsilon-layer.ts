/**
 * The base of the project's stateless layers with one hyperparameter, a positive `epsilon` that keeps
 * their output finite (a clamp or a floor): checked once in the constructor and saved in the layer's
 * config, so a saved model restores it. Subclasses register themselves under their own class name.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';

/** Arguments of an {@link EpsilonLayer}. */
export interface EpsilonLayerArgs extends LayerArgs {
  /** The clamp or floor (the subclass gives the default). */
  epsilon?: number;
}

/**
 * A layer whose only setting is a positive `epsilon` (default `defaultEpsilon`); the error names the
 * subclass.
 */
export abstract class EpsilonLayer extends tf.layers.Layer {
  readonly epsilon: number;

  constructor(args: EpsilonLayerArgs, defaultEpsilon: number) {
    super(args);
    const eps = args.epsilon ?? defaultEpsilon;
    if (typeof eps !== 'number' || !(eps > 0)) throw new RangeError(`${this.getClassName()} epsilon must be a positive number, got ${eps}`);
    this.epsilon = eps;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
