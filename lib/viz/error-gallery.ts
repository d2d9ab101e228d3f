/**
 * An error gallery: the worst false accepts and false rejects (from `eval.worstErrors`) as one labelled PNG,
 * a row per mistake with both images and its distance, built on {@link pairGrid}.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import { imageGrid, PAIR_COLOURS, type GridImage, type GridRow, type GridOptions } from './grid';

/** One mistake to draw: both images, labels, the value and the kind. */
export interface GalleryError {
  readonly a: GridImage;
  readonly b: GridImage;
  readonly aLabel?: string;
  readonly bLabel?: string;
  readonly value: number;
  readonly kind: 'false-accept' | 'false-reject';
}

/**
 * Draws the mistakes, false accepts first, each row titled with its kind and value (`valueName`, default
 * "d", e.g. `false accept d=0.412`) and framed in the colour of the pair's true label.
 */
export async function errorGallery(errors: readonly GalleryError[], options: GridOptions & { valueName?: string; threshold?: number } = {}): Promise<Buffer> {
  if (errors.length === 0) throw new RangeError('errorGallery: no errors to draw (a perfect score, or k = 0)');
  const name = options.valueName ?? 'd';
  const ordered = [...errors.filter((e) => e.kind === 'false-accept'), ...errors.filter((e) => e.kind === 'false-reject')];
  const rows: GridRow[] = ordered.map((e) => {
    const border = e.kind === 'false-accept' ? PAIR_COLOURS.different : PAIR_COLOURS.same;
    return {
      title: `${e.kind === 'false-accept' ? 'false accept' : 'false reject'} ${name}=${e.value.toFixed(3)}`,
      cells: [{ image: e.a, label: e.aLabel, border }, { image: e.b, label: e.bLabel, border }],
    };
  });
  const title = options.title ?? `worst errors${options.threshold === undefined ? '' : ` at threshold ${options.threshold.toFixed(3)}`} (frame: true label, green same / orange different)`;
  return imageGrid(rows, { ...options, title });
}
