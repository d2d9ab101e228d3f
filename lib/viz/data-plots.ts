/**
 * Plot specs for data analysis and splits: plain Plotly `{data, layout}` objects built from plain numbers.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import type { PlotSpec } from './plot';

const layoutBase = (title: string, x: string, y: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  title: { text: title }, height: 380, margin: { t: 50, l: 70, r: 20, b: 60 },
  xaxis: { title: { text: x } }, yaxis: { title: { text: y } }, ...extra,
});

/** Bars: how many people have 1, 2, 3, ... images (log y by default: LFW's tail is long). */
export function imagesPerPersonPlot(dist: readonly { imagesPerPerson: number; people: number }[], options: { logY?: boolean; title?: string } = {}): PlotSpec {
  const logY = options.logY ?? true;
  return {
    data: [{ type: 'bar', x: dist.map((d) => d.imagesPerPerson), y: dist.map((d) => d.people), marker: { color: '#4c78a8' }, hovertemplate: '%{y} people with %{x} images<extra></extra>' }],
    layout: layoutBase(options.title ?? 'Images per person', 'images per person', logY ? 'people (log scale)' : 'people', { yaxis: { title: { text: logY ? 'people (log scale)' : 'people' }, type: logY ? 'log' : 'linear' } }),
  };
}

/** Horizontal bars of the people with the most images, largest on top. */
export function topPeoplePlot(rows: readonly { person: string; images: number }[], title = 'People with the most images'): PlotSpec {
  const ordered = [...rows].reverse();
  return {
    data: [{ type: 'bar', orientation: 'h', x: ordered.map((r) => r.images), y: ordered.map((r) => r.person), marker: { color: '#72b7b2' }, text: ordered.map((r) => String(r.images)), textposition: 'auto' }],
    layout: { ...layoutBase(title, 'images', ''), height: Math.max(300, 26 * rows.length + 100), margin: { t: 50, l: 180, r: 20, b: 50 } },
  };
}

/** A histogram of mean brightness (0..255) over images. */
export function brightnessPlot(brightness: readonly number[], title = 'Mean brightness per image'): PlotSpec {
  return {
    data: [{ type: 'histogram', x: [...brightness], nbinsx: 40, marker: { color: '#999999' } }],
    layout: layoutBase(title, 'mean luma (0-255)', 'images'),
  };
}

/** Overlaid histograms of the per-image red, green and blue means. */
export function channelMeansPlot(rows: readonly { meanR: number; meanG: number; meanB: number }[], title = 'Per-channel mean per image'): PlotSpec {
  const trace = (name: string, color: string, values: number[]): Record<string, unknown> => ({ type: 'histogram', name, x: values, opacity: 0.5, nbinsx: 40, marker: { color } });
  return {
    data: [
      trace('red', '#d62728', rows.map((r) => r.meanR)),
      trace('green', '#2ca02c', rows.map((r) => r.meanG)),
      trace('blue', '#1f77b4', rows.map((r) => r.meanB)),
    ],
    layout: layoutBase(title, 'channel mean (0-255)', 'images', { barmode: 'overlay' }),
  };
}

/** Image sizes as a scatter of width against height (point size = how many images share it). */
export function imageSizePlot(rows: readonly { width: number; height: number }[], title = 'Image sizes'): PlotSpec {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(`${r.width}x${r.height}`, (counts.get(`${r.width}x${r.height}`) ?? 0) + 1);
  const keys = [...counts.keys()];
  const sizes = keys.map((k) => counts.get(k)!);
  const max = Math.max(...sizes);
  return {
    data: [{
      type: 'scatter', mode: 'markers', x: keys.map((k) => Number(k.split('x')[0])), y: keys.map((k) => Number(k.split('x')[1])),
      text: keys.map((k, i) => `${k}: ${sizes[i]} images`), marker: { size: sizes.map((s) => 8 + 30 * Math.sqrt(s / max)), color: '#4c78a8' },
    }],
    layout: layoutBase(title, 'width (px)', 'height (px)'),
  };
}

/** Grouped bars of same and different pairs per named list (pair files or splits). */
export function pairBalancePlot(rows: readonly { name: string; same: number; different: number }[], title = 'Same and different pairs'): PlotSpec {
  return {
    data: [
      { type: 'bar', name: 'same (isSame = 1)', x: rows.map((r) => r.name), y: rows.map((r) => r.same), marker: { color: '#2a9d3f' } },
      { type: 'bar', name: 'different (isSame = 0)', x: rows.map((r) => r.name), y: rows.map((r) => r.different), marker: { color: '#e07b00' } },
    ],
    layout: layoutBase(title, '', 'pairs', { barmode: 'stack' }),
  };
}

/** People and pairs per split, side by side. */
export function splitSizesPlot(sizes: readonly { split: string; people: number; pairs: number }[], title = 'Split sizes'): PlotSpec {
  return {
    data: [
      { type: 'bar', name: 'people', x: sizes.map((s) => s.split), y: sizes.map((s) => s.people), text: sizes.map((s) => String(s.people)), textposition: 'auto', marker: { color: '#4c78a8' } },
      { type: 'bar', name: 'pairs', x: sizes.map((s) => s.split), y: sizes.map((s) => s.pairs), text: sizes.map((s) => String(s.pairs)), textposition: 'auto', marker: { color: '#f58518' } },
    ],
    layout: layoutBase(title, 'split', 'count', { barmode: 'group' }),
  };
}
