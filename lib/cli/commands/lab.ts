/** `siamese lab` (what `npm run lab` runs): register the project's TypeScript kernel locally and open the notebooks. */
import type { Command } from 'commander';
import { formatLabPlan, launchLab, planLab } from '../../notebook';

export function register(program: Command): void {
  program
    .command('lab')
    .description('open the notebooks in JupyterLab (else Jupyter Notebook) with the project\'s TypeScript kernel, registered in a project-local Jupyter path')
    .option('--notebook', 'use Jupyter Notebook even when JupyterLab is installed')
    .option('--no-start', 'only register the kernel and print the command that would start Jupyter')
    .argument('[jupyter-args...]', 'passed to Jupyter after `--`, e.g. `npm run lab -- --no-browser --port=8890`')
    .allowUnknownOption(true)
    .action(async (jupyterArgs: string[], opts: { notebook?: boolean; start: boolean }) => {
      const plan = planLab({ prefer: opts.notebook ? 'notebook' : undefined, args: jupyterArgs });
      console.log(formatLabPlan(plan));
      if (!plan.frontEnd) {
        console.error(plan.install);
        process.exitCode = 2;
        return;
      }
      if (!opts.start) return;
      process.exitCode = await launchLab(plan);
    });
}
