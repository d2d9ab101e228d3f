/**
 * Labelled image grids as PNG, made with sharp: rows of images, each with an optional label under it and an
 * optional title at the left of its row. `pairGrid` builds on it to show same/different pairs; the
 * augmentation previews reuse `imageGrid` (one row per image, one cell per augmented copy).
 *
 * @see notebooks/02-splitting.ipynb
 */
import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import type { IsSame } from '../data/types';

/**
 * An image for a grid cell: encoded bytes (PNG, JPEG, ...), or raw pixels (`data` or `pixels`, row-major,
 * channels interleaved, 0-255; floats in [0, 1] when the cell says `float`).
 */
export type GridImage = Uint8Array | {
  readonly data?: ArrayLike<number>;
  readonly pixels?: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
};

/** One cell: an image, an optional label under it and an optional coloured frame. */
export interface GridCell {
  readonly image: GridImage;
  readonly label?: string;
  /** A CSS colour for a frame around the image (e.g. green for a same-person pair). */
  readonly border?: string;
  /** Raw pixels are floats in [0, 1]. */
  readonly float?: boolean;
}

/** One row: cells left to right and an optional title at its left. */
export interface GridRow {
  readonly title?: string;
  readonly cells: readonly GridCell[];
}

/** Layout knobs; every field has a default. */
export interface GridOptions {
  /** Width of each image cell in pixels (default 96); cells are square unless `cellHeight` says otherwise. */
  readonly cellSize?: number;
  /** Height of each image cell (default `cellSize`), e.g. for landscape photos; images are fitted inside, not cropped. */
  readonly cellHeight?: number;
  /** Space between cells (default 6). */
  readonly gap?: number;
  /** Font size of labels and titles (default 12). */
  readonly fontSize?: number;
  /** Width reserved for row titles (default: fitted to the longest title, at most 220). */
  readonly titleWidth?: number;
  /** A title above the whole grid. */
  readonly title?: string;
  /** Background colour (default white). */
  readonly background?: string;
  /** Upscale small images with nearest neighbour (sharp pixels) instead of smooth interpolation (default false). */
  readonly pixelated?: boolean;
  /** Encode the PNG with a 256-colour palette (dithered): about 5x smaller for photographs, slightly grainier (default false). */
  readonly palette?: boolean;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Shortens `text` to about `maxWidth` pixels at `fontSize` (an average glyph of a sans font is ~0.62 em wide). */
function fit(text: string, maxWidth: number, fontSize: number): string {
  const maxChars = Math.max(1, Math.floor(maxWidth / (fontSize * 0.62)));
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(1, maxChars - 1))}…`;
}

async function cellPng(cell: GridCell, size: number, height: number, pixelated: boolean): Promise<Buffer> {
  const img = cell.image;
  let input: Sharp;
  if (img instanceof Uint8Array) {
    input = sharp(img);
  } else {
    const values = img.data ?? img.pixels;
    if (!values) throw new TypeError('grid cell image needs `data` or `pixels`');
    const n = img.width * img.height * img.channels;
    if (values.length !== n) throw new RangeError(`grid cell image: ${values.length} values do not fill ${img.width}x${img.height}x${img.channels}`);
    let bytes: Uint8Array;
    if (values instanceof Uint8Array && !cell.float) bytes = values;
    else {
      bytes = new Uint8Array(n);
      const k = cell.float ? 255 : 1;
      for (let i = 0; i < n; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(values[i] * k)));
    }
    input = sharp(bytes, { raw: { width: img.width, height: img.height, channels: img.channels } });
  }
  return input.resize(size, height, { fit: 'contain', background: '#ffffff', kernel: pixelated ? 'nearest' : 'lanczos3' })
    .flatten({ background: '#ffffff' }).toColourspace('srgb').png().toBuffer();
}

/** Renders rows of labelled images as one PNG. Rows may have different lengths. */
export async function imageGrid(rows: readonly GridRow[], options: GridOptions = {}): Promise<Buffer> {
  if (rows.length === 0 || rows.every((r) => r.cells.length === 0)) throw new RangeError('imageGrid needs at least one image');
  const size = options.cellSize ?? 96;
  const gap = options.gap ?? 6;
  const font = options.fontSize ?? 12;
  if (!Number.isInteger(size) || size < 8 || size > 1024) throw new RangeError(`imageGrid cellSize must be an integer in [8, 1024], got ${size}`);
  const cellH = options.cellHeight ?? size;
  if (!Number.isInteger(cellH) || cellH < 8 || cellH > 1024) throw new RangeError(`imageGrid cellHeight must be an integer in [8, 1024], got ${cellH}`);
  const hasLabels = rows.some((r) => r.cells.some((c) => c.label));
  const hasTitles = rows.some((r) => r.title);
  const labelH = hasLabels ? Math.ceil(font * 1.5) : 0;
  const titleW = hasTitles ? options.titleWidth ?? Math.min(220, Math.ceil(Math.max(...rows.map((r) => (r.title ?? '').length)) * font * 0.6) + gap * 2) : 0;
  const headH = options.title ? Math.ceil(font * 2) : 0;
  const cols = Math.max(...rows.map((r) => r.cells.length));
  const width = titleW + gap + cols * (size + gap);
  const rowH = cellH + labelH + gap;
  const height = headH + gap + rows.length * rowH;
  const composites: OverlayOptions[] = [];
  const svg: string[] = [];
  const text = (x: number, y: number, s: string, anchor: string, weight = 'normal', size2 = font): void =>
    void svg.push(`<text x="${x}" y="${y}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${size2}" font-weight="${weight}" text-anchor="${anchor}" fill="#222">${escapeXml(s)}</text>`);
  if (options.title) text(width / 2, Math.round(headH * 0.7), fit(options.title, width - 2 * gap, font + 2), 'middle', 'bold', font + 2);
  for (let r = 0; r < rows.length; r++) {
    const top = headH + gap + r * rowH;
    const row = rows[r];
    if (row.title) text(gap, top + cellH / 2 + font / 3, fit(row.title, titleW - gap, font), 'start', 'bold');
    for (let c = 0; c < row.cells.length; c++) {
      const cell = row.cells[c];
      const left = titleW + gap + c * (size + gap);
      composites.push({ input: await cellPng(cell, size, cellH, options.pixelated ?? false), left, top });
      if (cell.border) svg.push(`<rect x="${left + 1.5}" y="${top + 1.5}" width="${size - 3}" height="${cellH - 3}" fill="none" stroke="${escapeXml(cell.border)}" stroke-width="3"/>`);
      if (cell.label) text(left + size / 2, top + cellH + Math.round(font * 1.15), fit(cell.label, size, font), 'middle');
    }
  }
  if (svg.length) composites.push({ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg.join('')}</svg>`), left: 0, top: 0 });
  return sharp({ create: { width, height, channels: 3, background: options.background ?? '#ffffff' } }).composite(composites).png(options.palette ? { palette: true } : {}).toBuffer();
}

/** One pair to show: two images, whether they are the same person, and optional labels. */
export interface PairGridItem {
  readonly a: GridImage;
  readonly b: GridImage;
  readonly isSame: IsSame;
  readonly aLabel?: string;
  readonly bLabel?: string;
  /** Extra text for the row title, e.g. a distance (`d = 0.42`). */
  readonly note?: string;
}

/** Frame colours: green for same-person pairs, orange for different people. */
export const PAIR_COLOURS = Object.freeze({ same: '#2a9d3f', different: '#e07b00' });

/** Same/different pairs, one pair per row (`perRow` = 1) or several pairs side by side, framed by label. */
export async function pairGrid(pairs: readonly PairGridItem[], options: GridOptions & { perRow?: number } = {}): Promise<Buffer> {
  const perRow = options.perRow ?? 1;
  if (!Number.isInteger(perRow) || perRow < 1) throw new RangeError(`pairGrid perRow must be a positive integer, got ${perRow}`);
  const rows: GridRow[] = [];
  for (let i = 0; i < pairs.length; i += perRow) {
    const chunk = pairs.slice(i, i + perRow);
    const cells: GridCell[] = chunk.flatMap((p) => {
      const border = p.isSame ? PAIR_COLOURS.same : PAIR_COLOURS.different;
      return [{ image: p.a, label: p.aLabel, border }, { image: p.b, label: p.bLabel, border }];
    });
    const title = perRow === 1 ? `${chunk[0].isSame ? 'same' : 'different'}${chunk[0].note ? ` ${chunk[0].note}` : ''}` : undefined;
    rows.push({ title, cells });
  }
  return imageGrid(rows, options);
}
