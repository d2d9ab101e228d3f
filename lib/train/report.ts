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
