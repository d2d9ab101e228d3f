/**
 * Augmentation previews: for each transform of a policy, one row with the original image beside `n`
 * copies that got only that transform, then one row with `n` copies under the full policy; each copy is
 * labelled with what it got. Built with {@link imageGrid}; rows draw from `rng.fork(<row name>)`, so the
 * same rng seed gives the same picture, and changing `n` for one row leaves the other rows alone.
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { applyAugment } from '../augment/apply';
import { describeParams, type AugmentParams } from '../augment/params';
import { applyOptions, resolvePolicy, samplePolicy, singleTransformPolicy, type AugmentPolicy, type AugmentPolicyInput } from '../augment/policy';
import type { DecodedImage } from '../data/types';
import type { Rng } from '../util/rng';
import { imageGrid, type GridCell, type GridOptions, type GridRow } from './grid';

/** Options of {@link augmentPreview}. */
export interface AugmentPreviewOptions extends GridOptions {
  /** Augmented copies per row (default 6). */
  readonly n?: number;
  /** Include one row per transform of the policy (default true). */
  readonly perTransform?: boolean;
  /** Include the full-policy row (default true). */
  readonly full?: boolean;
}

/** Augments `image` `n` times with `policy`, drawing from `rng`; returns float pixels in [0, 1] and the params. */
async function augmentCopies(image: DecodedImage, policy: AugmentPolicy, n: number, rng: Rng): Promise<{ pixels: Float32Array[]; params: AugmentParams[] }> {
  const { width, height, channels } = image;
  const params = samplePolicy(policy, n, rng);
  const out = tf.tidy(() => {
    const one = tf.div(tf.tensor3d(Float32Array.from(image.data), [height, width, channels], 'float32'), 255);
    const batch = tf.tile(tf.expandDims(one, 0), [n, 1, 1, 1]) as tf.Tensor4D;
    return applyAugment(batch, params, applyOptions(policy));
  });
  const flat = (await out.data()) as Float32Array;
  out.dispose();
  const per = width * height * channels;
  return { pixels: params.map((_, i) => flat.slice(i * per, (i + 1) * per)), params };
}

/** The preview's rows (for tests, or for a custom grid). See {@link augmentPreview}. */
export async function augmentPreviewRows(image: DecodedImage, policy: string | AugmentPolicy | AugmentPolicyInput, rng: Rng,
  options: AugmentPreviewOptions = {}): Promise<GridRow[]> {
  const p = resolvePolicy(policy as string | AugmentPolicyInput);
  const n = options.n ?? 6;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`augmentPreview n must be an integer in [1, 64], got ${n}`);
  const original: GridCell = { image: { data: image.data, width: image.width, height: image.height, channels: image.channels }, label: 'original' };
  const rowOf = async (title: string, pol: AugmentPolicy): Promise<GridRow> => {
    const copies = await augmentCopies(image, pol, n, rng.fork(title));
    const cells: GridCell[] = copies.pixels.map((pixels, i) => ({
      image: { pixels, width: image.width, height: image.height, channels: image.channels }, float: true, label: describeParams(copies.params[i]),
    }));
    return { title, cells: [original, ...cells] };
  };
  const rows: GridRow[] = [];
  if (options.perTransform ?? true) {
    for (const t of p.transforms) rows.push(await rowOf(t.kind, singleTransformPolicy(t, { fillMode: p.fillMode, fillValue: p.fillValue, interpolation: p.interpolation })));
  }
  if (options.full ?? true) rows.push(await rowOf(`policy ${p.name}`, p));
  if (rows.length === 0) throw new RangeError('augmentPreview: nothing to show (perTransform and full are both false, or the policy has no transforms)');
  return rows;
}

/**
 * A labelled PNG grid: the original beside `n` augmented copies, one row per transform and one for the
 * full policy (see the module comment). `image` is a decoded image (`dataset.load(ref, {size})`).
 */
export async function augmentPreview(image: DecodedImage, policy: string | AugmentPolicy | AugmentPolicyInput, rng: Rng,
  options: AugmentPreviewOptions = {}): Promise<Buffer> {
  const rows = await augmentPreviewRows(image, policy, rng, options);
  const p = resolvePolicy(policy as string | AugmentPolicyInput);
  return imageGrid(rows, { cellSize: 112, fontSize: 11, title: options.title ?? `augmentation: ${p.name} (${image.width}x${image.height})`, ...options });
}
