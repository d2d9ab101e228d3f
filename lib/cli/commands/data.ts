/** `siamese data ...`: datasets, pair files and splits. Each subcommand lives in data-<sub>.ts. */
import type { Command } from 'commander';

export function register(program: Command): void {
  const data = program.command('data').description('create, download, inspect and split face datasets');
  void data; // subcommands register here: e.g. dataSynth.register(data);
}
