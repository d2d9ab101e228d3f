/**
 * `siamese start` (what `npm start` runs): the whole pipeline on the built-in data: environment, the
 * synthetic faces (generated if absent), a person-disjoint split, training the default model, evaluation on
 * the held-out people, and artifacts/report.html.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { environmentReport, formatBackendInfo } from '../../backend';
import { openData } from '../../data';
import { experimentPreset, experimentReport, readRunPredictions, runExperiment } from '../../train';
import { artifactsDir } from '../../util';
import { experimentReportHtml } from '../../viz';
import { formatResult } from './train';

export function register(program: Command): void {
  program
    .command('start')
    .description('run the whole pipeline on the built-in default data (npm start): data, split, training, evaluation, report')
    .option('--force', 'train again even if the default run already finished')
    .action(async (flags: { force?: boolean }) => {
      const started = performance.now();
      console.log('== 1/4 environment');
      const env = await environmentReport({ quiet: true });
      console.log(`${formatBackendInfo(env.backend)}\nnode ${env.node}, ${env.cpu} (${env.cores} cores), ${env.memoryGiB} GiB`);
      console.log('== 2/4 data');
      const opened = await openData();
      const { dataset } = opened;
      console.log(`${dataset.people.length} people, ${dataset.numImages} images`);
      console.log('== 3/4 training and evaluation on held-out people');
      const result = await runExperiment(experimentPreset('default'), { force: flags.force, opened });
      console.log('== 4/4 report');
      const predictions = readRunPredictions(result.dir);
      if (!predictions) throw new Error(`${result.dir} has no predictions.json; rerun with --force`);
      const report = artifactsDir('report.html');
      fs.mkdirSync(path.dirname(report), { recursive: true });
      fs.writeFileSync(report, await experimentReportHtml(experimentReport(result, predictions), dataset));
      console.log(`${formatResult(result)}\nreport       ${report}\ntotal        ${((performance.now() - started) / 60000).toFixed(1)} min`);
    });
}
