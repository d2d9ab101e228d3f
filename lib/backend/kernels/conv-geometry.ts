/**
 * The geometry of a 2-D convolution in the argument order src/kernels.c takes (CONV_ARGS), computed
 * with tfjs's own `computeConv2DInfo` so padding and output sizes agree with every other backend.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as tf from '@tensorflow/tfjs';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** N, H, W, C, OH, OW, CO, KH, KW, sh, sw, pt, pl, dh, dw. */
export type ConvGeometry = [number, number, number, number, number, number, number, number, number, number, number,
  number, number, number, number];

/** What a kernel needs from tfjs's conv info. */
export interface ConvSpec {
  readonly info: tf.backend_util.Conv2DInfo;
  readonly geometry: ConvGeometry;
}

/**
 * Conv geometry for an NHWC input shape and a filter shape ([KH,KW,C,CO], or [KH,KW,C,M] when
 * depthwise). Throws for NCHW, which the wasm backend does not run either.
 */
export function convSpec(
  inShape: readonly number[], filterShape: readonly number[], strides: [number, number] | number,
  dilations: [number, number] | number, pad: Pad, dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean, dataFormat: string = 'NHWC',
): ConvSpec {
  if (dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`lib/backend/kernels: data format ${dataFormat} is not supported on wasm (use NHWC)`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number], filterShape as [number, number, number, number], strides, dilations,
    pad, dimRoundingMode, depthwise, 'channelsLast');
  const geometry: ConvGeometry = [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
    info.dilationHeight, info.dilationWidth,
  ];
  return { info, geometry };
}
