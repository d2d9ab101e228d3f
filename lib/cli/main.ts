#!/usr/bin/env node
/**
 * The `siamese` command line: one program, a subcommand per long job. Each subcommand lives in
 * lib/cli/commands/<name>.ts and only parses options and calls the lib.
 */
import { Command } from 'commander';
import * as dataCommand from './commands/data';
import * as envCommand from './commands/env';
import * as evalCommand from './commands/eval';
import * as labCommand from './commands/lab';
import * as notebooksCommand from './commands/notebooks';
import * as startCommand from './commands/start';
import * as trainCommand from './commands/train';
import * as verifyCommand from './commands/verify';
import * as searchCommand from './commands/search';
import * as clusterCommand from './commands/cluster';
import * as weightsCommand from './commands/weights';
import * as workshopCommand from './commands/workshop';

export function buildProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require('../../package.json') as { version: string; description: string };
  const program = new Command('siamese')
    .description('Siamese networks for face verification on LFW: data, training, evaluation and verification.')
    .version(pkg.version)
    .showHelpAfterError('(run `siamese --help` for the commands)');
  envCommand.register(program);
  dataCommand.register(program);
  notebooksCommand.register(program);
  labCommand.register(program);
  weightsCommand.register(program);
  trainCommand.register(program);
  startCommand.register(program);
  verifyCommand.register(program);
  evalCommand.register(program);
  searchCommand.register(program);
  clusterCommand.register(program);
  workshopCommand.register(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(`siamese: ${err instanceof Error ? err.message : String(err)}`);
      // 130: stopped by Ctrl+C (after saving a checkpoint), as a shell reports SIGINT
      process.exitCode = err instanceof Error && err.name === 'TrainingInterruptedError' ? 130 : 1;
    });
}
