/**
 * `siamese start` (what `npm start` runs): the whole pipeline on the built-in data. For now: the
 * environment check; data, training, evaluation and the report join as they land.
 */
import type { Command } from 'commander';
import { environmentReport, formatEnvironmentReport } from '../../backend';

export function register(program: Command): void {
  program
    .command('start')
    .description('run the whole pipeline on the built-in default data (npm start)')
    .action(async () => {
      console.log('== environment');
      console.log(formatEnvironmentReport(await environmentReport({ quiet: true })));
    });
}
