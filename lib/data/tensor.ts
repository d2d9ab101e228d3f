/**
 * Decoded images to tfjs tensors: float32 in [0, 1], NHWC.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { DecodedImage } from './types';

/** Stacks same-sized decoded images into a `[n, h, w, c]` float32 tensor scaled to [0, 1]. The caller owns it. */
export function imagesToTensor(images: readonly DecodedImage[]): tf.Tensor4D {
  if (images.length === 0) throw new RangeError('imagesToTensor needs at least one image');
  const { width, height, channels } = images[0];
  const per = width * height * channels;
  const out = new Float32Array(images.length * per);
  images.forEach((img, i) => {
    if (img.width !== width || img.height !== height || img.channels !== channels) {
      throw new RangeError(`imagesToTensor: image ${i} is ${img.width}x${img.height}x${img.channels}, image 0 is ${width}x${height}x${channels}`);
    }
    for (let k = 0; k < per; k++) out[i * per + k] = img.data[k] / 255;
  });
  return tf.tensor4d(out, [images.length, height, width, channels], 'float32');
}
