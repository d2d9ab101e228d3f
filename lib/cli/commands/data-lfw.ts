/**
 * `siamese data lfw`: download (or reuse) LFW, verify it and unpack it where the data resolver finds it. A
 * folder already there is reused only when it is a complete dataset; an empty or partial one is refused
 * with what is missing (by `fetchDataset`).
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { dataHome, downloadLfw, LFW_ARCHIVES, LFW_VARIANTS, parseLfwVariant } from '../../data';
import { inspectDatasetFolder } from '../../data/dataset';

export function register(data: Command): void {
  data
    .command('lfw')
    .description('download LFW (figshare mirrors, SHA-256 verified; deep-funneled from UMass, unverified), resumable, and unpack it safely')
    .option('--variant <name>', `${LFW_VARIANTS.join(' | ')}`, 'original')
    .option('--dir <dir>', 'where the archive and the images go (default <data home>/lfw, where the data resolver looks)')
    .option('--archive <file>', 'use an archive you downloaded by hand instead of downloading (it is still verified)')
    .option('--retries <n>', 'attempts to resume an interrupted transfer', '4')
    .option('--timeout <s>', 'network timeout in seconds', '30')
    .action(async (opts: { variant: string; dir?: string; archive?: string; retries: string; timeout: string }) => {
      const variant = parseLfwVariant(opts.variant, '--variant');
      const retries = Number(opts.retries), timeout = Number(opts.timeout);
      if (!Number.isInteger(retries) || retries < 0) throw new Error(`--retries must be a non-negative integer, got ${JSON.stringify(opts.retries)}`);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`--timeout must be a positive number of seconds, got ${JSON.stringify(opts.timeout)}`);
      const dir = path.resolve(opts.dir ?? path.join(dataHome(), 'lfw'));
      const source = LFW_ARCHIVES[variant];
      const r = await downloadLfw(variant, { dir, archive: opts.archive, retries, timeoutMs: timeout * 1000 });
      const { people, images } = await inspectDatasetFolder(r.root);
      if (!r.extracted) {
        console.log(`LFW (${variant}) is already in ${r.root}: nothing downloaded.`);
      } else {
        const how = r.downloaded ? `downloaded from ${source.url}` : `unpacked from ${r.archive}`;
        const check = r.verified ? 'SHA-256 verified' : 'UNVERIFIED (no published checksum; SHA-256 recorded next to the archive)';
        console.log(`LFW (${variant}) ${how}, ${check}:\n  ${r.root}`);
        if (r.sha256) console.log(`  archive SHA-256 ${r.sha256}`);
      }
      console.log(`  ${people} people, ${images} images`);
      const inHome = path.resolve(dir) === path.resolve(path.join(dataHome(), 'lfw'));
      console.log(inHome
        ? '  the data resolver uses it automatically (after LFW_DIR and --dir)'
        : `  to use it: LFW_DIR=${r.root} (or --dir ${r.root})`);
    });
}
