/**
 * The HTML report of an experiment (what `npm start` writes to artifacts/report.html): the held-out
 * results beside raw pixels and chance, training curves, ROC, the distance histogram and pair examples.
 * A standalone page: charts are drawn by the embedded plotly.js, images are inline PNGs.
 *
 * viz draws plain data it is given: the input types below are this module's own (an experiment result and
 * its predictions fit them as they are); the ROC curves come computed (`train.experimentReport` builds the
 * whole input from a finished run).
 *
 * @see notebooks/05-training-runs.ipynb
 */
import type { Dataset } from '../data/dataset';
import type { Pair, ThresholdedValues } from '../data/types';
import { tableHtml } from './display';
import { rocPlot, valueHistogram } from './eval-plots';
import { pairGrid, type PairGridItem } from './grid';
import { linePlot } from './plot';
import { plotDiv, plotlyBundleScript } from './plotly-html';

/** One epoch of a training history, as the curves need it. */
export interface ReportEpoch {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss: number | null;
  readonly valAccuracy: number | null;
  readonly valAuc: number | null;
}

/** Held-out results of one method. */
export interface ReportScores {
  readonly n: number;
  readonly accuracy: number;
  readonly accuracyCi: readonly [number, number];
  readonly auc: number;
  readonly threshold: number;
}

/** The run a report describes: its name, settings, history and held-out results. */
export interface ReportRun {
  readonly name: string;
  readonly dir: string;
  readonly config: {
    readonly model: { readonly kind: string };
    readonly head: string;
    readonly normalize: boolean;
    readonly loss: { readonly name: string; readonly margin?: number };
    readonly optimizer: { readonly name?: string; readonly lr?: number };
    readonly schedule: { readonly name?: string };
    readonly batchSize: number;
    readonly augment: string;
    readonly seed: number;
  };
  readonly history: readonly ReportEpoch[];
  readonly bestEpoch: number;
  readonly test: ReportScores;
  readonly rawPixels: ReportScores;
  readonly data: { readonly root: string; readonly source: string };
  readonly backend: string;
  readonly trainSeconds: number;
}

/** Values of held-out pairs with the threshold applied to them. */
export type ReportValues = ThresholdedValues;

/** {@link ReportValues} with the pairs they belong to (for the example grid). */
export interface ReportPredictions extends ReportValues {
  readonly pairs: readonly Pair[];
}

/** A ROC curve as points. */
export interface RocPoints {
  readonly fpr: readonly number[];
  readonly tpr: readonly number[];
}

/** Everything the report page shows. */
export interface ExperimentReport {
  readonly run: ReportRun;
  readonly model: ReportPredictions;
  readonly rawPixels: ReportValues;
  readonly rocs: { readonly model: RocPoints; readonly rawPixels: RocPoints };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** The training curves of a run: losses, and validation accuracy and AUC, per epoch. */
export function trainingCurves(result: { readonly name: string; readonly history: readonly ReportEpoch[] }): { loss: ReturnType<typeof linePlot>; quality: ReturnType<typeof linePlot> } {
  const epochs = result.history.map((h) => h.epoch);
  const loss = linePlot(epochs, {
    'train loss': result.history.map((h) => h.trainLoss),
    'validation loss': result.history.map((h) => h.valLoss ?? Number.NaN),
  }, `${result.name}: loss`, { x: 'epoch', y: 'loss' });
  const quality = linePlot(epochs, {
    'validation accuracy (best threshold)': result.history.map((h) => h.valAccuracy ?? Number.NaN),
    'validation AUC': result.history.map((h) => h.valAuc ?? Number.NaN),
  }, `${result.name}: validation`, { x: 'epoch', y: '' });
  return { loss, quality };
}

/** A grid of test pairs: the most confident right answers and the worst mistakes, with their values. */
export async function examplePairsPng(predictions: ReportPredictions, dataset: Dataset, perKind = 3): Promise<Buffer> {
  const { values, isSame, threshold, higherIsCloser, pairs } = predictions;
  const margin = values.map((v) => (higherIsCloser ? v - threshold : threshold - v)); // > 0: accepted as same
  const idx = values.map((_, i) => i);
  const right = idx.filter((i) => (margin[i] > 0) === (isSame[i] === 1)).sort((a, b) => Math.abs(margin[b]) - Math.abs(margin[a]));
  const wrong = idx.filter((i) => (margin[i] > 0) !== (isSame[i] === 1)).sort((a, b) => Math.abs(margin[b]) - Math.abs(margin[a]));
  const pick = [
    ...right.filter((i) => isSame[i] === 1).slice(0, perKind), ...right.filter((i) => isSame[i] === 0).slice(0, perKind),
    ...wrong.slice(0, 2 * perKind),
  ];
  const items: PairGridItem[] = [];
  for (const i of pick) {
    const [a, b] = await Promise.all([dataset.load(pairs[i].a, { size: 96, channels: 3 }), dataset.load(pairs[i].b, { size: 96, channels: 3 })]);
    const ok = (margin[i] > 0) === (isSame[i] === 1);
    items.push({ a, b, isSame: isSame[i], aLabel: pairs[i].a.person, bLabel: pairs[i].b.person,
      note: `· ${ok ? 'ok' : 'WRONG'} ${values[i].toFixed(2)}` });
  }
  return pairGrid(items, { perRow: 1 });
}

/** The report page of a finished experiment. */
export async function experimentReportHtml(report: ExperimentReport, dataset: Dataset): Promise<string> {
  const { run: result, rocs } = report;
  const predictions = { model: report.model, rawPixels: report.rawPixels };
  const { test, rawPixels } = result;
  const rows = [
    { method: `${result.config.model.kind} (${result.config.head}, ${result.config.loss.name})`, accuracy: pct(test.accuracy),
      '95 % CI': `${pct(test.accuracyCi[0])} – ${pct(test.accuracyCi[1])}`, AUC: test.auc.toFixed(3), threshold: test.threshold.toFixed(4) },
    { method: 'raw pixels (Euclidean)', accuracy: pct(rawPixels.accuracy), '95 % CI': `${pct(rawPixels.accuracyCi[0])} – ${pct(rawPixels.accuracyCi[1])}`,
      AUC: rawPixels.auc.toFixed(3), threshold: rawPixels.threshold.toFixed(2) },
    { method: 'chance', accuracy: '50.0 %', '95 % CI': '', AUC: '0.500', threshold: '' },
  ];
  const curves = trainingCurves(result);
  const rocSpec = rocPlot([{ name: 'model', fpr: rocs.model.fpr, tpr: rocs.model.tpr }, { name: 'raw pixels', fpr: rocs.rawPixels.fpr, tpr: rocs.rawPixels.tpr }], 'ROC on held-out pairs');
  const hist = valueHistogram(predictions.model.values, predictions.model.isSame, 'Held-out pairs: same vs different', test.threshold,
    predictions.model.higherIsCloser ? 'score' : 'distance');
  const png = await examplePairsPng(predictions.model, dataset);
  const c = result.config;
  const facts = [
    ['data', `${result.data.root} (${result.data.source})`], ['backend', result.backend],
    ['model', `${c.model.kind}, head ${c.head}${c.normalize ? ', L2-normalised embeddings' : ''}`],
    ['training', `${c.loss.name === 'contrastive' ? `contrastive (margin ${c.loss.margin})` : 'BCE'}, ${c.optimizer.name} lr ${c.optimizer.lr}, ${c.schedule.name} schedule, ` +
      `${result.history.length} epochs, batch ${c.batchSize}, augmentation ${c.augment}, seed ${c.seed}`],
    ['time', `${(result.trainSeconds / 60).toFixed(1)} min training; best epoch ${result.bestEpoch}`],
    ['run folder', result.dir],
  ];
  const style = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:1em}img{max-width:100%}`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Siamese report: ${result.name}</title><style>${style}</style>${plotlyBundleScript()}</head><body>
<h1>Face verification: ${result.name}</h1>
<p>Held-out people only: the threshold was fitted on the validation pairs and applied to ${test.n} test pairs of people the model never saw.</p>
${tableHtml(rows).html}
<h2>Run</h2>${tableHtml(facts.map(([k, v]) => ({ '': k, ' ': v }))).html}
<h2>Training</h2><div class="grid2">${plotDiv(curves.loss)}${plotDiv(curves.quality)}</div>
<h2>Held-out pairs</h2><div class="grid2">${plotDiv(rocSpec)}${plotDiv(hist)}</div>
<h2>Examples</h2><p>The most confident right answers (same, then different people) and the worst mistakes; each row: the truth, whether the model got it right, and its value (accept as the same person at or below the threshold for a distance).</p>
<img src="data:image/png;base64,${png.toString('base64')}">
</body></html>
`;
}
