/**
 * Convolutions with their zero padding written out: `[[top, bottom], [left, right]]` rows and columns of zeros
 * around the input, as a `ZeroPadding2D` layer followed by a 'valid' convolution computes, but inside the
 * convolution: no padded copy of the input is made forwards, and no slice of its gradient backwards.
 *
 * MobileNetV3 pads its stride-2 convolutions this way (TensorFlow's "same" is one row and column more after than
 * before on even sizes; torchvision pads (k - 1) / 2 on both sides). Done by separate layers, at 224 px the copies
 * (PadV2 forwards, Slice backwards) took about 30 ms of a 630-ms training step on wasm.
 *
 * Apart from `explicitPadding`, each is tfjs's layer with the same arguments and weights (so weights load by the
 * same names); `padding` must be left 'valid'.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvLayerArgs } from '@tensorflow/tfjs-layers/dist/layers/convolutional';
import type { DepthwiseConv2DLayerArgs } from '@tensorflow/tfjs-layers/dist/layers/convolutional_depthwise';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';

/** Rows before and after, columns before and after. */
export type ExplicitPadding2D = [[number, number], [number, number]];

type LayerClass<A> = (new (args: A) => tf.layers.Layer) & Pick<typeof tf.layers.Layer, 'fromConfig'>;

function tfjsClass<A>(name: string): LayerClass<A> {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[name];
  if (!entry) throw new Error(`tfjs ${name} is not registered; is @tensorflow/tfjs loaded?`);
  return entry[0] as unknown as LayerClass<A>;
}

/** The fields of tfjs's conv layers the calls below read. */
interface ConvInternals {
  strides: [number, number];
  dilationRate: number | [number, number];
  useBias: boolean;
  bias: { read(): tf.Tensor } | null;
  activation: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string } | null;
}

function checkPadding(layer: string, padding: unknown, convPadding: unknown, dataFormat: unknown): ExplicitPadding2D {
  const ok = Array.isArray(padding) && padding.length === 2 && padding.every((p) => Array.isArray(p) && p.length === 2
    && p.every((v) => Number.isInteger(v) && v >= 0));
  if (!ok) throw new Error(`${layer}: explicitPadding must be [[top, bottom], [left, right]] of non-negative integers, got ${JSON.stringify(padding)}`);
  if (convPadding !== undefined && convPadding !== 'valid') throw new Error(`${layer}: padding must be 'valid' with explicitPadding, got ${JSON.stringify(convPadding)}`);
  // the wasm backend computes NHWC only, and so do the calls below
  if (dataFormat !== undefined && dataFormat !== 'channelsLast') throw new Error(`${layer}: computes channelsLast (NHWC) only, got dataFormat ${JSON.stringify(dataFormat)}`);
  return padding.map((p) => [p[0], p[1]]) as ExplicitPadding2D;
}

function paddedShape(shape: tf.Shape, [[t, b], [l, r]]: ExplicitPadding2D): tf.Shape {
  const [n, h, w, c] = shape;
  return [n, h === null ? null : h + t + b, w === null ? null : w + l + r, c];
}

function tfPad([[t, b], [l, r]]: ExplicitPadding2D): tf.backend_util.ExplicitPadding {
  return [[0, 0], [t, b], [l, r], [0, 0]];
}

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor4D {
  return (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
}

function finish(self: ConvInternals, y: tf.Tensor): tf.Tensor {
  if (self.activation !== null && self.activation.getClassName() !== 'linear') return self.activation.apply(y);
  return y;
}

const Conv2DBase = tfjsClass<ConvLayerArgs>('Conv2D');
const DepthwiseConv2DBase = tfjsClass<DepthwiseConv2DLayerArgs>('DepthwiseConv2D');

/** Arguments: tfjs's `ConvLayerArgs` for Conv2D (`padding` 'valid'), and the padding. */
export type PaddedConv2DArgs = ConvLayerArgs & { explicitPadding: ExplicitPadding2D };

/**
 * `Conv2D` (NHWC) with explicit zero padding; see the module doc.
 * @see notebooks/04-model-construction.ipynb
 */
export class PaddedConv2D extends Conv2DBase {
  static readonly className = 'PaddedConv2D';
  readonly explicitPadding: ExplicitPadding2D;

  constructor(args: PaddedConv2DArgs) {
    const { explicitPadding, ...rest } = args;
    const pads = checkPadding(`PaddedConv2D${rest.name ? ` ${rest.name}` : ''}`, explicitPadding, rest.padding, rest.dataFormat);
    super({ ...rest, padding: 'valid' });
    this.explicitPadding = pads;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return super.computeOutputShape(paddedShape((Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape, this.explicitPadding));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const self = this as unknown as ConvInternals & { kernel: { read(): tf.Tensor } };
    return tf.tidy(() => finish(self, tf.fused.conv2d({
      x: one(inputs), filter: self.kernel.read() as tf.Tensor4D, strides: self.strides, pad: tfPad(this.explicitPadding),
      dataFormat: 'NHWC', dilations: self.dilationRate, bias: self.useBias && self.bias ? self.bias.read() : undefined,
    })));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), explicitPadding: this.explicitPadding };
  }
}

/** Arguments: tfjs's `DepthwiseConv2DLayerArgs` (`padding` 'valid'), and the padding. */
export type PaddedDepthwiseConv2DArgs = DepthwiseConv2DLayerArgs & { explicitPadding: ExplicitPadding2D };

/**
 * `DepthwiseConv2D` (NHWC) with explicit zero padding; see the module doc.
 * @see notebooks/04-model-construction.ipynb
 */
export class PaddedDepthwiseConv2D extends DepthwiseConv2DBase {
  static readonly className = 'PaddedDepthwiseConv2D';
  readonly explicitPadding: ExplicitPadding2D;

  constructor(args: PaddedDepthwiseConv2DArgs) {
    const { explicitPadding, ...rest } = args;
    const pads = checkPadding(`PaddedDepthwiseConv2D${rest.name ? ` ${rest.name}` : ''}`, explicitPadding, rest.padding, rest.dataFormat);
    super({ ...rest, padding: 'valid' });
    this.explicitPadding = pads;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return super.computeOutputShape(paddedShape((Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape, this.explicitPadding));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const self = this as unknown as ConvInternals & { depthwiseKernel: { read(): tf.Tensor } };
    return tf.tidy(() => {
      let y: tf.Tensor = tf.depthwiseConv2d(one(inputs), self.depthwiseKernel.read() as tf.Tensor4D, self.strides,
        tfPad(this.explicitPadding), 'NHWC', self.dilationRate);
      if (self.useBias && self.bias) y = tf.add(y, self.bias.read());
      return finish(self, y);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), explicitPadding: this.explicitPadding };
  }
}

/**
 * Factories in the tfjs style.
 * @see notebooks/04-model-construction.ipynb
 */
export function paddedConv2d(args: PaddedConv2DArgs): PaddedConv2D {
  return new PaddedConv2D(args);
}
export function paddedDepthwiseConv2d(args: PaddedDepthwiseConv2DArgs): PaddedDepthwiseConv2D {
  return new PaddedDepthwiseConv2D(args);
}

tf.serialization.registerClass(PaddedConv2D);
tf.serialization.registerClass(PaddedDepthwiseConv2D);
