/** `siamese env`: the machine, the packages and the backend the project would use. */
import type { Command } from 'commander';
import { environmentReport, formatEnvironmentReport, parseBackendName } from '../../backend';

export function register(program: Command): void {
  program
    .command('env')
    .description('print the environment report: node, cpu, packages, wasm features and the chosen backend')
    .option('--backend <name>', 'force a backend (tfjs-node-gpu, tfjs-node, wasm, cpu); default: SIAMESE_BACKEND or automatic')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { backend?: string; json?: boolean }) => {
      const backend = opts.backend ? parseBackendName(opts.backend, '--backend') : undefined;
      const report = await environmentReport({ backend, quiet: Boolean(opts.json) });
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatEnvironmentReport(report));
    });
}
