/** `siamese data ...`: datasets, pair files and splits. Each subcommand lives in data-<sub>.ts. */
import type { Command } from 'commander';
import * as dataSynth from './data-synth';
import * as dataLfw from './data-lfw';
import * as dataStats from './data-stats';
import * as dataSplit from './data-split';

export function register(program: Command): void {
  const data = program.command('data').description('create, download, inspect and split face datasets');
  dataSynth.register(data);
  dataLfw.register(data);
  dataStats.register(data);
  dataSplit.register(data);
}
