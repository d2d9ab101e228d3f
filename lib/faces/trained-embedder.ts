/**
 * A model trained by the project, as a {@link FaceEmbedder}: the embedding network inside a trained Siamese
 * model (plus its L2 normalisation, when it has one), fed crops prepared the way it was trained. So a trained
 * network sits in the same evaluation tables as raw pixels and the face-pretrained backbones.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { normalizeImages, type Preprocessing } from '../pipeline/pipeline';
import { l2NormalizeRows } from '../models/layers/l2-normalize';
import { euclideanDistance } from '../distances/arrays';
import type { FaceEmbedder } from './face-embedder';
import { siameseEmbeddingNet } from '../models/siamese';

/** The embedding network nested in a Siamese model (the one layer that is itself a model). */
export const embeddingNetOf = siameseEmbeddingNet;

/** Wraps a trained Siamese model (distance head) as an embedder named `name`. */
export function trainedEmbedder(siamese: tf.LayersModel, preprocessing: Preprocessing, name: string): FaceEmbedder {
  const net = embeddingNetOf(siamese);
  const normalize = siamese.layers.some((l) => l.getClassName() === 'L2Normalize');
  const dim = net.outputs[0].shape[1] as number;
  return {
    name,
    description: `${net.name} trained by the project (${preprocessing.size} px, ${dim}-d${normalize ? ', L2-normalised' : ''}, Euclidean)`,
    inputSize: preprocessing.size,
    dim,
    higherIsCloser: false,
    outsideData: false,
    async embed(crops: tf.Tensor4D): Promise<number[][]> {
      if (crops.shape[0] === 0) return [];
      const out = tf.tidy(() => {
        const x = tf.image.resizeBilinear(crops.toFloat(), [preprocessing.size, preprocessing.size], true);
        let e = net.apply(normalizeImages(x.div(255), preprocessing.normalization), { training: false }) as tf.Tensor2D;
        if (normalize) e = l2NormalizeRows(e);
        return e;
      });
      const rows = (await out.array()) as number[][];
      out.dispose();
      return rows;
    },
    compare: euclideanDistance,
  };
}
