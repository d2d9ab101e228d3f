/**
 * The HTML report of an experiment (what `npm start` writes to artifacts/report.html): the held-out
 * results beside raw pixels and chance, training curves, ROC, the distance histogram and pair examples.
 * A standalone page: charts are drawn by the embedded plotly.js, images are inline PNGs.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import type { Dataset } from '../data/dataset';
import { roc } from '../eval/roc';
import type { ExperimentResult, TestPredictions } from '../train/experiment';
import { tableHtml } from './display';
import { rocPlot, valueHistogram } from './eval-plots';
import { pairGrid, type PairGridItem } from './grid';
import { linePlot } from './plot';
import { plotDiv, plotlyBundleScript } from './plotly-html';

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** The training curves of a run: losses, and validation accuracy and AUC, per epoch. */
export function trainingCurves(result: Pick<ExperimentResult, 'history' | 'name'>): { loss: ReturnType<typeof linePlot>; quality: ReturnType<typeof linePlot> } {
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
export async function examplePairsPng(predictions: TestPredictions, dataset: Dataset, perKind = 3): Promise<Buffer> {
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
export async function experimentReportHtml(result: ExperimentResult, predictions: { model: TestPredictions; rawPixels: Omit<TestPredictions, 'pairs'> },
  dataset: Dataset): Promise<string> {
  const { test, rawPixels } = result;
  const rows = [
    { method: `${result.config.model.kind} (${result.config.head}, ${result.config.loss.name})`, accuracy: pct(test.accuracy),
      '95 % CI': `${pct(test.accuracyCi[0])} – ${pct(test.accuracyCi[1])}`, AUC: test.auc.toFixed(3), threshold: test.threshold.toFixed(4) },
    { method: 'raw pixels (Euclidean)', accuracy: pct(rawPixels.accuracy), '95 % CI': `${pct(rawPixels.accuracyCi[0])} – ${pct(rawPixels.accuracyCi[1])}`,
      AUC: rawPixels.auc.toFixed(3), threshold: rawPixels.threshold.toFixed(2) },
    { method: 'chance', accuracy: '50.0 %', '95 % CI': '', AUC: '0.500', threshold: '' },
  ];
  const curves = trainingCurves(result);
  const modelRoc = roc(predictions.model.values, predictions.model.isSame, predictions.model);
  const rawRoc = roc(predictions.rawPixels.values, predictions.rawPixels.isSame, predictions.rawPixels);
  const rocSpec = rocPlot([{ name: 'model', fpr: modelRoc.fpr, tpr: modelRoc.tpr }, { name: 'raw pixels', fpr: rawRoc.fpr, tpr: rawRoc.tpr }], 'ROC on held-out pairs');
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
