/**
 * The input of the experiment report page (`viz.experimentReportHtml`), built from a finished run: the run
 * itself, its held-out predictions and their ROC curves. viz draws plain data; this is where the data is
 * computed, so viz needs neither train's types nor eval's maths.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import { roc } from '../eval/roc';
import type { ExperimentResult, TestPredictions } from './experiment';

/** The report's input for `result` with the predictions `readRunPredictions` read from its folder. */
export function experimentReport(result: ExperimentResult, predictions: { model: TestPredictions; rawPixels: Omit<TestPredictions, 'pairs'> }) {
  const modelRoc = roc(predictions.model.values, predictions.model.isSame, predictions.model);
  const rawRoc = roc(predictions.rawPixels.values, predictions.rawPixels.isSame, predictions.rawPixels);
  return { run: result, model: predictions.model, rawPixels: predictions.rawPixels, rocs: { model: modelRoc, rawPixels: rawRoc } };
}

/** What a score on the built-in synthetic faces says about real faces (printed under such results). */
export const SYNTHETIC_MEANING = 'the score shows the network learned, from pairs, to tell apart people it never saw (the Siamese idea) on ' +
  'cartoon faces; it says nothing about photos (a network trained on cartoons scored below raw pixels on real face crops). To learn ' +
  "real faces: LFW_DIR=<lfw> siamese train --preset lfw-scratch (README, 'Real faces').";

/**
 * Which data a result is on, and on the built-in synthetic faces what the score means for real ones (notebooks 05
 * and 06; the CLI prints the same under its result).
 */
export function dataNote(data: { readonly root: string; readonly source: string }): string {
  const line = `Data: ${data.root} (${data.source === 'synthetic' ? 'the built-in synthetic faces' : data.source}).`;
  return data.source === 'synthetic' ? `${line} What it means: ${SYNTHETIC_MEANING}` : line;
}
