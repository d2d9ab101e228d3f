/** `siamese data stats`: what the resolved dataset holds, its images-per-person distribution, image statistics and pair files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  OFFICIAL_PAIR_FILES, datasetSummary, describeRows, imageStats, imageStatsFrame, imagesPerPersonDistribution, lfwMetaDir,
  openData, pairListSummary, readOfficialPairs, type PairList,
} from '../../data';
import { stream } from '../../util';
import { display } from '../../viz';

function intOption(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim())) throw new Error(`${flag} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function register(data: Command): void {
  data
    .command('stats')
    .description('summarise the dataset the resolver picks (LFW_DIR > --dir > downloaded LFW > synthetic): people, images, pair files')
    .option('--dir <dir>', 'a dataset folder (<dir>/<Person>/<image>)')
    .option('--images <n>', 'measure brightness and colour on this many images, sampled with --seed (0 = skip; default 500)')
    .option('--seed <s>', 'seed for the image sample (default 0)')
    .option('--top <k>', 'how many of the people with the most images to list (default 10)')
    .option('--json', 'print one JSON object instead of tables')
    .action(async (opts: { dir?: string; images?: string; seed?: string; top?: string; json?: boolean }) => {
      const nImages = intOption('--images', opts.images, 500);
      const top = intOption('--top', opts.top, 10);
      const seed = opts.seed ?? '0';
      const log = opts.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
      const { data: resolved, dataset } = await openData({ dir: opts.dir, log, cache: null });
      const summary = datasetSummary(dataset);
      const dist = imagesPerPersonDistribution(dataset);
      const topPeople = dataset.people.map((person) => ({ person, images: dataset.images(person).length }))
        .sort((a, b) => b.images - a.images || (a.person < b.person ? -1 : 1)).slice(0, top);
      // The dataset's own pair files when it ships them (the synthetic set does), else LFW's official files.
      const own = OFFICIAL_PAIR_FILES.map((n) => path.join(dataset.root, `${n}.txt`)).filter((f) => fs.existsSync(f));
      const pairFiles = own.length ? own : OFFICIAL_PAIR_FILES.map((n) => path.join(lfwMetaDir(), `${n}.txt`));
      const pairs: Record<string, unknown>[] = [];
      for (const file of pairFiles) {
        let list: PairList;
        try {
          list = await readOfficialPairs(file);
        } catch (err) {
          pairs.push({ name: path.basename(file), error: (err as Error).message.split('\n')[0] });
          continue;
        }
        pairs.push({ file, ...pairListSummary(list, dataset) });
      }
      let images: { measured: number; sampled: boolean; errors: { path: string; reason: string }[]; columns: Record<string, unknown>[] } | null = null;
      if (nImages > 0) {
        const stats = await imageStats(dataset, nImages < dataset.numImages ? { maxImages: nImages, rng: stream(seed, 'stats') } : {});
        images = { measured: stats.rows.length, sampled: stats.sampled, errors: stats.errors, columns: stats.rows.length ? describeRows(imageStatsFrame(stats.rows)) : [] };
      }
      if (opts.json) {
        console.log(JSON.stringify({ source: resolved.source, summary, imagesPerPerson: dist, topPeople, pairs, images, problems: dataset.problems }, null, 2));
        return;
      }
      console.log(`\n${dataset.describe()}`);
      console.log(`  ${summary.peopleWith2Plus} people have 2+ images (${summary.imagesOfPeopleWith2Plus} images), ${summary.peopleWith10Plus} have 10+; most: ${summary.maxPerson} (${summary.maxImages})`);
      if (dataset.problems.length) {
        console.log(`  skipped ${dataset.problems.length} entries:`);
        for (const p of dataset.problems.slice(0, 10)) console.log(`    ${p.path}: ${p.reason}`);
        if (dataset.problems.length > 10) console.log(`    ... and ${dataset.problems.length - 10} more`);
      }
      console.log('\nimages per person (how many people have k images):');
      const shown = dist.length > 12 ? [...dist.slice(0, 10), { imagesPerPerson: -1, people: dist.slice(10).reduce((a, d) => a + d.people, 0) }] : dist;
      display.table(shown.map((d) => ({ images: d.imagesPerPerson < 0 ? `${dist[10].imagesPerPerson}+` : d.imagesPerPerson, people: d.people })));
      console.log(`\ntop ${topPeople.length} people:`);
      display.table(topPeople);
      console.log(`\npair files${own.length ? ' (shipped with the dataset)' : ` (LFW's official files in ${lfwMetaDir()})`}:`);
      display.table(pairs.map(({ file: _file, ...rest }) => rest));
      if (images) {
        console.log(`\nimage statistics over ${images.measured} images${images.sampled ? ` (a sample, seed ${seed})` : ''}; brightness = mean luma 0..255:`);
        if (images.columns.length) display.table(images.columns);
        for (const e of images.errors) console.log(`  unreadable: ${e.path}: ${e.reason}`);
      }
    });
}
