/**
 * What a frozen face feature extractor is to the rest of the project: square RGB crops (0-255) in, one
 * embedding per crop out, compared by a distance whose direction it declares. `lib/eval` (verification,
 * LFW evaluation) works with any {@link FaceEmbedder}; a trainable head can be fitted on its embeddings.
 *
 * @see notebooks/07-personal-images.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { euclideanDistance } from '../distances/arrays';
import { loadFaceApi, FACE_API_PACKAGE, type LoadFaceApiOptions } from './face-api';
import { DESCRIPTOR_SIZE, loadRecognitionNet, loadRecognitionTop, RECOGNITION_INPUT, topDescriptors, trunkActivations, zeroShotTop, type RecognitionTop } from './recognition-net';

/** A frozen embedding network for face crops. */
export interface FaceEmbedder {
  /** Short name used on the command line and in result tables (e.g. `face-api`). */
  readonly name: string;
  readonly description: string;
  /** Side of the square crop it expects (crops of another size are resized). */
  readonly inputSize: number;
  readonly dim: number;
  /** Direction of `compare`'s values: false for a distance. */
  readonly higherIsCloser: boolean;
  /** True when trained on data outside LFW's training folds (LFW's protocol asks to say so). */
  readonly outsideData: boolean;
  /** Embeds a batch of crops `[n, size, size, 3]`, values 0-255; the input is not disposed. */
  embed(crops: tf.Tensor4D): Promise<number[][]>;
  /** The value between two embeddings (a distance or a similarity, see `higherIsCloser`). */
  compare(a: readonly number[], b: readonly number[]): number;
}

/**
 * The dlib-derived ResNet of `@vladmandic/face-api`, frozen: 150x150 crops, 128-d descriptors, Euclidean
 * distance (dlib's own decision rule is "same person below 0.6"). With `mirror`, each crop's descriptor is the
 * mean of its own and its mirror image's (one more pass of the net per crop): on LFW View 2 that lifted the
 * dlib chip from 98.83 to 99.10 % (BENCHMARKS.md), and a descriptor no longer depends on which way the face
 * looks.
 * @see notebooks/04-model-construction.ipynb
 */
export async function faceApiEmbedder(options: LoadFaceApiOptions = {}, variant: { readonly mirror?: boolean } = {}): Promise<FaceEmbedder> {
  const api = await loadFaceApi(['recognition'], options);
  const net = api.nets.faceRecognitionNet;
  const mirror = variant.mirror === true;
  return {
    name: 'face-api',
    description: `dlib ResNet face descriptor from ${FACE_API_PACKAGE} (150 px, 128-d, Euclidean${mirror ? ', mean of the crop and its mirror image' : ''}; trained on outside data)`,
    inputSize: 150,
    dim: 128,
    higherIsCloser: false,
    outsideData: true,
    async embed(crops: tf.Tensor4D): Promise<number[][]> {
      if (crops.rank !== 4 || crops.shape[3] !== 3) throw new RangeError(`face-api embedder needs crops [n, h, w, 3], got [${crops.shape.join(', ')}]`);
      if (crops.shape[0] === 0) return [];
      // face-api takes a batch as an array of [h, w, 3] tensors (not one 4-D tensor); with the mirror, each
      // crop's mirror image follows the n crops
      const items = (mirror ? tf.tidy(() => tf.unstack(tf.concat([crops, tf.reverse(crops, 2)]))) : tf.unstack(crops)) as tf.Tensor3D[];
      try {
        const out = await net.computeFaceDescriptor(items);
        const list = (Array.isArray(out) ? out : [out]).map((d) => Array.from(d));
        if (!mirror) return list;
        const n = crops.shape[0];
        return list.slice(0, n).map((d, i) => d.map((v, j) => (v + list[n + i][j]) / 2));
      } finally {
        tf.dispose(items);
      }
    },
    compare: euclideanDistance,
  };
}

/**
 * face-api's ResNet with a fine-tuned top beside its own (what `bench/lfw-face-product.ts` trains and `siamese verify`
 * ships as `face-api-tuned`): the frozen trunk runs once over each crop and its mirror image; each top's descriptor is
 * the mean of the two views, and the embedding is the tuned top's descriptor and face-api's side by side, each scaled
 * by 1/√2 (256-d), so the Euclidean distance is the root mean square of the two tops' distances. This is what
 * `describeTuned` computes from cached trunk activations when training with `withZeroShot`, so a threshold fitted
 * there holds here. `topFile` is the tuned top's weights manifest (`saveRecognitionTop`).
 * @see notebooks/07-personal-images.ipynb
 */
export async function tunedFaceApiEmbedder(topFile: string, name = 'face-api-tuned'): Promise<FaceEmbedder> {
  const net = loadRecognitionNet();
  let tuned: RecognitionTop;
  try {
    tuned = loadRecognitionTop(topFile);
  } catch (err) {
    net.dispose();
    throw err;
  }
  return {
    name,
    description: `dlib ResNet from ${FACE_API_PACKAGE}, its top fine-tuned on LFW beside face-api's own: 150 px, mean of the crop and its mirror image, 2 x 128-d, Euclidean; trained on outside data and on LFW people outside View 1's test pairs`,
    inputSize: RECOGNITION_INPUT,
    dim: 2 * DESCRIPTOR_SIZE,
    higherIsCloser: false,
    outsideData: true,
    async embed(crops: tf.Tensor4D): Promise<number[][]> {
      if (crops.rank !== 4 || crops.shape[3] !== 3) throw new RangeError(`${name} embedder needs crops [n, h, w, 3], got [${crops.shape.join(', ')}]`);
      const n = crops.shape[0];
      if (n === 0) return [];
      const out = tf.tidy(() => {
        const x = crops.shape[1] === RECOGNITION_INPUT && crops.shape[2] === RECOGNITION_INPUT ? crops : tf.image.resizeBilinear(tf.cast(crops, 'float32'), [RECOGNITION_INPUT, RECOGNITION_INPUT]);
        // a top trained deeper takes the trunk short of its own blocks; face-api's top then runs the net's blocks in front
        const open = tuned.blocks?.length ?? 0;
        const trunk = trunkActivations(net, tf.concat([x, tf.reverse(x, 2)]) as tf.Tensor4D, open);
        const views = (top: RecognitionTop) => {
          const d = topDescriptors(top, trunk);
          return tf.div(tf.add(d.slice([0, 0], [n, DESCRIPTOR_SIZE]), d.slice([n, 0], [n, DESCRIPTOR_SIZE])), 2);
        };
        return tf.mul(tf.concat([views(tuned), views(zeroShotTop(net, open))], 1), Math.SQRT1_2) as tf.Tensor2D;
      });
      const data = await out.data();
      out.dispose();
      const dim = 2 * DESCRIPTOR_SIZE;
      return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * dim, (i + 1) * dim)));
    },
    compare: euclideanDistance,
  };
}

/**
 * Crops per network call in {@link embedCrops}. Batches past a few crops got slower per crop on wasm (face-api's
 * ResNet at 150 px, 2026-12-04: 39-40 ms a crop in batches of 2-8, 42 in 16, 54 in 44; 44 crops in one batch
 * 2.8 s, in batches of 8 1.7 s), and a crop's descriptor does not depend on the batch it is in (bit for bit).
 */
export const EMBED_BATCH = 8;

/** Embeds crops of the embedder's input size (RGB, 0-255), {@link EMBED_BATCH} per network call. */
export async function embedCrops(embedder: FaceEmbedder, crops: readonly { readonly data: ArrayLike<number>; readonly width: number; readonly height: number }[]): Promise<number[][]> {
  const size = embedder.inputSize;
  const bad = crops.find((c) => c.width !== size || c.height !== size || c.data.length !== size * size * 3);
  if (bad) throw new RangeError(`${embedder.name} embeds ${size}x${size} RGB crops, got ${bad.width}x${bad.height} with ${bad.data.length} values`);
  const out: number[][] = [];
  for (let start = 0; start < crops.length; start += EMBED_BATCH) {
    const batch = crops.slice(start, start + EMBED_BATCH);
    const buf = new Int32Array(batch.length * size * size * 3);
    batch.forEach((c, i) => buf.set(c.data, i * size * size * 3));
    const x = tf.tensor4d(buf, [batch.length, size, size, 3], 'int32');
    try {
      out.push(...await embedder.embed(x));
    } finally {
      x.dispose();
    }
  }
  return out;
}
