/**
 * Embedding maps: 2-D projections of embeddings as Plotly scatter plots, one trace (one colour) per person,
 * several panels side by side (e.g. before / after training, PCA / UMAP) with the same colour for the same
 * person in every panel. With `images` (small data-URI thumbnails from {@link thumbnailUris}), hovering a
 * point shows its face next to the chart: plotly.js cannot draw images in a hover box, so the rendered
 * HTML (plotly-html.ts) adds a side image that a `plotly_hover` handler fills from `images[customdata]`.
 * Each thumbnail is stored once per figure, however many panels show its point.
 *
 * @see notebooks/08-applications.ipynb
 */
import sharp from 'sharp';
import type { GridImage } from './grid';
import type { PlotSpec } from './plot';

/** A Plotly spec whose points carry an index (`customdata`) into `images`, shown on hover. */
export interface ImagePlotSpec extends PlotSpec {
  readonly images: readonly string[];
}

/** Whether `spec` carries hover images. */
export function hasImages(spec: PlotSpec): spec is ImagePlotSpec {
  return Array.isArray((spec as Partial<ImagePlotSpec>).images);
}

/** One panel: a title and one 2-D point per item (same items, same order, in every panel). */
export interface MapPanel {
  readonly title: string;
  readonly points: readonly (readonly number[])[];
}

/** Options of {@link embeddingMap}. */
export interface EmbeddingMapOptions {
  readonly title?: string;
  /** Hover text per item (default: the person). */
  readonly labels?: readonly string[];
  /** Data-URI thumbnails per item, shown beside the chart on hover. */
  readonly images?: readonly string[];
  /** Panels per row (default: all in one row, at most 2). */
  readonly columns?: number;
  /** Height of one row of panels in pixels (default 420). */
  readonly rowHeight?: number;
}

/** 20 well-separated colours (Tableau 20); people beyond 20 reuse them with another marker symbol. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const SYMBOLS = ['circle', 'square', 'diamond', 'triangle-up', 'x', 'cross'];

/** Colour and marker symbol of the `i`-th person. */
export function personStyle(i: number): { color: string; symbol: string } {
  return { color: PALETTE[i % PALETTE.length], symbol: SYMBOLS[Math.floor(i / PALETTE.length) % SYMBOLS.length] };
}

/**
 * Scatter panels of the same items coloured by person. Each point's `customdata` is its item index, so a
 * click or hover handler can find the item (and its thumbnail when `images` is given).
 */
export function embeddingMap(panels: readonly MapPanel[], persons: readonly string[], options: EmbeddingMapOptions = {}): PlotSpec | ImagePlotSpec {
  if (panels.length === 0) throw new RangeError('embeddingMap needs at least one panel');
  for (const p of panels) {
    if (p.points.length !== persons.length) throw new RangeError(`embeddingMap panel "${p.title}": ${p.points.length} points but ${persons.length} persons`);
    p.points.forEach((pt, i) => {
      if (pt.length < 2) throw new RangeError(`embeddingMap panel "${p.title}": point ${i} has ${pt.length} coordinates, needs 2`);
    });
  }
  if (options.labels && options.labels.length !== persons.length) throw new RangeError(`embeddingMap: ${options.labels.length} labels but ${persons.length} persons`);
  if (options.images && options.images.length !== persons.length) throw new RangeError(`embeddingMap: ${options.images.length} images but ${persons.length} persons`);
  const people = [...new Set(persons)];
  const columns = options.columns ?? Math.min(panels.length, 2);
  const rows = Math.ceil(panels.length / columns);
  const rowHeight = options.rowHeight ?? 420;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: options.title ?? 'Embedding map' }, height: rows * rowHeight + 80, margin: { t: 70, l: 40, r: 20, b: 40 },
    grid: { rows, columns, pattern: 'independent', xgap: 0.08, ygap: 0.14 }, hovermode: 'closest', legend: { title: { text: 'person' } },
    annotations: [],
  };
  panels.forEach((panel, k) => {
    const axis = k === 0 ? '' : String(k + 1);
    layout[`xaxis${axis}`] = { showticklabels: false, zeroline: false };
    layout[`yaxis${axis}`] = { showticklabels: false, zeroline: false };
    (layout.annotations as unknown[]).push({
      text: `<b>${panel.title}</b>`, showarrow: false, xref: `x${axis} domain`, yref: `y${axis} domain`, x: 0.5, y: 1.08, xanchor: 'center',
    });
    people.forEach((person, pi) => {
      const idx = persons.flatMap((p, i) => (p === person ? [i] : []));
      const style = personStyle(pi);
      data.push({
        type: 'scatter', mode: 'markers', name: person, legendgroup: person, showlegend: k === 0,
        x: idx.map((i) => round(panel.points[i][0])), y: idx.map((i) => round(panel.points[i][1])),
        customdata: idx, text: idx.map((i) => options.labels?.[i] ?? person),
        hovertemplate: '%{text}<extra></extra>',
        marker: { color: style.color, symbol: style.symbol, size: 8, line: { width: 0.5, color: '#333' } },
        xaxis: `x${axis}`, yaxis: `y${axis}`,
      });
    });
  });
  return options.images ? { data, layout, images: [...options.images] } : { data, layout };
}

/** Four significant digits: plenty for a map, and a lighter notebook. */
function round(v: number): number {
  return Number(v.toPrecision(4));
}

/**
 * Small JPEG thumbnails as `data:` URIs (default 40 px, quality 70: about 1 KB each), for hover images
 * that keep a notebook light.
 */
export async function thumbnailUris(images: readonly GridImage[], size = 40, quality = 70): Promise<string[]> {
  if (!Number.isInteger(size) || size < 8 || size > 256) throw new RangeError(`thumbnail size must be an integer in [8, 256], got ${size}`);
  return Promise.all(images.map(async (img) => {
    const input = img instanceof Uint8Array ? sharp(img)
      : sharp(Uint8Array.from(img.data ?? img.pixels ?? []), { raw: { width: img.width, height: img.height, channels: img.channels } });
    const jpeg = await input.resize(size, size, { fit: 'cover' }).flatten({ background: '#ffffff' }).jpeg({ quality }).toBuffer();
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  }));
}
