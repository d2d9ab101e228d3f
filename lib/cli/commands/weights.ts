/**
 * `siamese weights fetch mobilenet-v3-small`: download Keras's ImageNet file for MobileNetV3Small (MD5-pinned,
 * resumable), record its SHA-256 and convert it, so `--weights imagenet` (or `weights: 'imagenet'` in a
 * config's model options) can load it. Without internet: `--file PATH` with a copy downloaded elsewhere.
 */
import type { Command } from 'commander';
import { initBackend } from '../../backend';
import { fetchImagenetWeights, KERAS_MOBILENET_V3_SMALL, PRETRAINED_MODELS, type PretrainedModelName } from '../../models';
import { nearest } from '../../train/config-schema';

interface FetchFlags { file?: string; url?: string; force?: boolean; retries: string; timeout: string }

/** A model name `weights fetch` knows; the error lists them and suggests the nearest. */
export function parsePretrainedModel(value: string): PretrainedModelName {
  if ((PRETRAINED_MODELS as readonly string[]).includes(value)) return value as PretrainedModelName;
  const near = nearest(value, PRETRAINED_MODELS);
  throw new Error(`unknown model ${JSON.stringify(value)}: weights fetch knows ${PRETRAINED_MODELS.join(', ')}${near ? `; did you mean "${near}"?` : ''}`);
}

export function register(program: Command): void {
  const weights = program.command('weights').description('pretrained weights: download, verify and convert them for the project\'s models');
  weights
    .command('fetch')
    .description(`download Keras's ImageNet weights for a model (MD5-verified, resumable) and convert them; models: ${PRETRAINED_MODELS.join(', ')}`)
    .argument('<model>', PRETRAINED_MODELS.join(' | '))
    .option('--file <path>', `use a copy you downloaded elsewhere (${KERAS_MOBILENET_V3_SMALL.noTop.file} or ${KERAS_MOBILENET_V3_SMALL.top.file}; still MD5-verified)`)
    .option('--url <url>', 'download from this mirror instead of Keras\'s bucket (still MD5-verified)')
    .option('--force', 'convert again even if converted weights are already there')
    .option('--retries <n>', 'attempts to resume an interrupted transfer', '4')
    .option('--timeout <s>', 'network timeout in seconds', '30')
    .action(async (model: string, opts: FetchFlags) => {
      parsePretrainedModel(model);
      const retries = Number(opts.retries), timeout = Number(opts.timeout);
      if (!Number.isInteger(retries) || retries < 0) throw new Error(`--retries must be a non-negative integer, got ${JSON.stringify(opts.retries)}`);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`--timeout must be a positive number of seconds, got ${JSON.stringify(opts.timeout)}`);
      await initBackend({ quiet: true });
      const r = await fetchImagenetWeights({ file: opts.file, url: opts.url, force: opts.force, retries, timeoutMs: timeout * 1000 });
      if (!r.converted) {
        console.log(`${model}: ImageNet weights are already converted in ${r.dir} (from ${r.metadata.source.file}, MD5 ${r.metadata.source.md5}); --force converts again.`);
      } else {
        const d = r.download!;
        console.log(`${model}: ${d.downloaded ? `downloaded ${d.path}` : `read ${d.path}`} (MD5 ${d.md5} verified, SHA-256 ${d.sha256})`);
        console.log(`  converted ${r.metadata.tensors} tensors into ${r.dir}${r.ignored.length ? ` (left out ${r.ignored.length} of Keras's classifier: ${r.ignored.join(', ')})` : ''}`);
      }
      console.log('  use them with `siamese train --preset mnv3-adam-cosine --weights imagenet`, or {"model": {"kind": "mobileNetV3Small", "options": {"weights": "imagenet"}}} in a --config file');
    });
}
