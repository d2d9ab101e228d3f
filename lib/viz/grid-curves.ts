/**
 * The chart of a comparison grid (`train.runGrid`): validation AUC per epoch, one line per run.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import type { PlotSpec } from './plot';

/** A run of a grid as the chart needs it: its label and its per-epoch validation AUC. */
export interface GridCurve {
  readonly label: string;
  readonly history: readonly { readonly epoch: number; readonly valAuc: number | null }[];
}

/** Validation AUC per epoch, one line per run. */
export function gridCurves(runs: readonly GridCurve[]): PlotSpec {
  return {
    data: runs.map((r) => ({ type: 'scatter', mode: 'lines+markers', name: r.label, x: r.history.map((h) => h.epoch), y: r.history.map((h) => h.valAuc) })),
    layout: { title: { text: 'Validation AUC per epoch' }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'AUC' } }, height: 380, margin: { t: 50, l: 60, r: 20, b: 50 } },
  };
}
