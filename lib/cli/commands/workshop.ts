/** `siamese workshop prepare|pack`: get machines ready for a class (docs/workshop.md). */
import type { Command } from 'commander';
import { formatWorkshopReport, packOffline, prepareWorkshop } from '../../workshop';

export function register(program: Command): void {
  const workshop = program.command('workshop').description('get machines ready for a class: warm caches, check notebook budgets, pack an offline install');
  workshop
    .command('prepare')
    .description('run every notebook once to fill the caches (data, decoded images, trained experiments), then again to check each against its time budget')
    .option('--only <names...>', 'notebook numbers or name fragments, e.g. --only 05 06')
    .option('--no-check', 'skip the second, warm run and its budget check')
    .action(async (opts: { only?: string[]; check: boolean }) => {
      const report = await prepareWorkshop({ only: opts.only, check: opts.check });
      console.log(`\n${formatWorkshopReport(report)}`);
      if (!report.ok) process.exitCode = 1;
    });
  workshop
    .command('pack')
    .description('write an offline installation kit: an npm cache with every locked tarball (all platforms) and the project as a tarball')
    .requiredOption('--out <dir>', 'a new folder to write the kit into')
    .option('--with-caches', 'also pack the trained experiments (artifacts/runs) and the generated data (data/synth)')
    .action((opts: { out: string; withCaches?: boolean }) => {
      packOffline({ out: opts.out, withCaches: opts.withCaches });
    });
}
