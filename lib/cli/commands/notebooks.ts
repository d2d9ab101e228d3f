/** `siamese notebooks`: execute the notebooks headlessly (what `npm run notebooks` calls). */
import type { Command } from 'commander';
import { jupyterUnavailableReason, runNotebooks } from '../../notebook';

export function register(program: Command): void {
  program
    .command('notebooks')
    .description('execute every notebook top to bottom, each in a fresh kernel; write executed .ipynb and .html to artifacts/notebooks/')
    .option('--only <names...>', 'notebook numbers or name fragments, e.g. --only 00 03')
    .option('--jupyter', 'execute through Jupyter (nbclient + the tslab kernel) instead of in-process tslab')
    .action(async (opts: { only?: string[]; jupyter?: boolean }) => {
      if (opts.jupyter) {
        const why = jupyterUnavailableReason();
        if (why) throw new Error(`--jupyter: ${why}`);
      }
      const results = await runNotebooks({ only: opts.only, jupyter: opts.jupyter });
      const failed = results.find((r) => r.failure);
      if (failed?.failure) {
        throw new Error(`notebook ${failed.name} failed at cell ${failed.failure.cell}: ${failed.failure.error.split('\n')[0]}`);
      }
      console.log(`${results.length} notebook(s) executed in ${results.reduce((s, r) => s + r.seconds, 0).toFixed(1)} s`);
    });
}
