/**
 * Plot specs for evaluation: ROC curves, value histograms of same vs different pairs, an accuracy-vs-threshold
 * sweep and a pair matrix heatmap. Plain Plotly data built from plain arrays.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import type { PlotSpec } from './plot';
import type { IsSame } from '../data/types';

const LAYOUT = { height: 380, margin: { t: 50, l: 60, r: 20, b: 50 } };

/** ROC curves, one per named model (FAR on a log axis when `logFar`), with the chance diagonal. */
export function rocPlot(curves: readonly { name: string; fpr: readonly number[]; tpr: readonly number[] }[], title = 'ROC', logFar = false): PlotSpec {
  const data: Record<string, unknown>[] = curves.map((c) => ({ type: 'scatter', mode: 'lines', name: c.name, x: [...c.fpr], y: [...c.tpr] }));
  if (!logFar) data.push({ type: 'scatter', mode: 'lines', name: 'chance', x: [0, 1], y: [0, 1], line: { dash: 'dot', color: '#999' } });
  return {
    data,
    layout: { ...LAYOUT, title: { text: title }, xaxis: { title: { text: 'false accept rate' }, ...(logFar ? { type: 'log' } : { range: [0, 1] }) }, yaxis: { title: { text: 'true accept rate' }, range: [0, 1.02] } },
  };
}

/** Overlaid histograms of the values of same-person and different-person pairs, with the threshold as a line. */
export function valueHistogram(values: readonly number[], isSame: readonly IsSame[], title: string, threshold?: number, valueName = 'distance'): PlotSpec {
  if (values.length !== isSame.length) throw new RangeError(`valueHistogram: ${values.length} values but ${isSame.length} labels`);
  const pick = (y: IsSame): number[] => values.filter((_, i) => isSame[i] === y);
  const shapes = threshold === undefined ? [] : [{ type: 'line', x0: threshold, x1: threshold, yref: 'paper', y0: 0, y1: 1, line: { color: '#333', dash: 'dash' } }];
  return {
    data: [
      { type: 'histogram', name: 'same person', x: pick(1), opacity: 0.6, marker: { color: '#2a9d3f' }, nbinsx: 40 },
      { type: 'histogram', name: 'different people', x: pick(0), opacity: 0.6, marker: { color: '#e07b00' }, nbinsx: 40 },
    ],
    layout: { ...LAYOUT, title: { text: title }, barmode: 'overlay', shapes, xaxis: { title: { text: valueName } }, yaxis: { title: { text: 'pairs' } } },
  };
}

/** Accuracy as a function of the threshold for several named sets (e.g. validation and test), with the chosen threshold. */
export function thresholdSweepPlot(thresholds: readonly number[], accuracies: Readonly<Record<string, readonly number[]>>, title: string, chosen?: number): PlotSpec {
  const data = Object.entries(accuracies).map(([name, y]) => {
    if (y.length !== thresholds.length) throw new RangeError(`thresholdSweepPlot: "${name}" has ${y.length} points, thresholds has ${thresholds.length}`);
    return { type: 'scatter', mode: 'lines', name, x: [...thresholds], y: [...y] };
  });
  const shapes = chosen === undefined ? [] : [{ type: 'line', x0: chosen, x1: chosen, yref: 'paper', y0: 0, y1: 1, line: { color: '#333', dash: 'dash' } }];
  return { data, layout: { ...LAYOUT, title: { text: title }, shapes, xaxis: { title: { text: 'threshold' } }, yaxis: { title: { text: 'accuracy' } } } };
}

/**
 * A square matrix of pair values as a heatmap, labelled on both axes; `blocks` (sizes of consecutive groups, e.g.
 * the faces of each photo) outlines each group's square on the diagonal.
 */
export function pairMatrixPlot(labels: readonly string[], matrix: readonly (readonly (number | null)[])[], title: string, valueName = 'distance', blocks: readonly number[] = []): PlotSpec {
  if (matrix.length !== labels.length || matrix.some((r) => r.length !== labels.length)) throw new RangeError(`pairMatrixPlot: need a ${labels.length}x${labels.length} matrix`);
  if (blocks.length > 0 && (blocks.some((b) => !Number.isInteger(b) || b < 0) || blocks.reduce((a, b) => a + b, 0) !== labels.length)) {
    throw new RangeError(`pairMatrixPlot: blocks must be whole sizes adding up to the ${labels.length} labels, got [${blocks.join(', ')}]`);
  }
  const shapes: Record<string, unknown>[] = [];
  let start = 0;
  for (const b of blocks) {
    if (b > 0) shapes.push({ type: 'rect', xref: 'x', yref: 'y', x0: start - 0.5, x1: start + b - 0.5, y0: start - 0.5, y1: start + b - 0.5, line: { color: '#e0262b', width: 2 } });
    start += b;
  }
  return {
    data: [{ type: 'heatmap', x: [...labels], y: [...labels], z: matrix.map((r) => [...r]), colorscale: 'Viridis', reversescale: true, colorbar: { title: { text: valueName } } }],
    layout: { ...LAYOUT, height: 120 + 28 * labels.length, title: { text: title }, yaxis: { autorange: 'reversed' }, margin: { t: 50, l: 160, r: 20, b: 140 }, ...(shapes.length ? { shapes } : {}) },
  };
}
