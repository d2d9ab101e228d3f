/**
 * Tight LFW crops, the hard case for detection (issue 16): every image of View 2's pairs cut as a tight crop
 * (lib/faces/probe-images.ts `tightCropSpec`: the face fills the frame, 48-128 px, wide or tall, a third grey),
 * written as JPEG (quality 95) under the same `<Name>/<Name>_NNNN.jpg` names, so the folder reads as an LFW
 * copy:
 *
 *   LFW_DIR=/path/to/lfw npx tsx bench/lfw-tight-crops.ts --out /path/to/lfw-tight [--all]
 *
 * Each image's crop is drawn from its own named random stream (`tight-crop/<ref>`), so a rerun or a resumed run
 * writes the same bytes; files already there are kept. `--all`: every LFW image, not only View 2's pairs.
 * bench/lfw-face-tune.ts `--tight DIR` then scores View 2's pairs made of these crops, each fold with its own
 * fold's tuned model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { Dataset, refKey } from '../lib/data/dataset';
import { view2PairList } from '../lib/data/split';
import { pairImages } from '../lib/faces/embed-dataset';
import { tightCrop, tightCropSpec } from '../lib/faces/probe-images';
import { Rng } from '../lib/util/rng';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };

async function main(): Promise<void> {
  const lfw = process.env.LFW_DIR;
  const out = opt('out');
  if (!lfw || !out) throw new Error('usage: LFW_DIR=<lfw> npx tsx bench/lfw-tight-crops.ts --out <folder>');
  const dataset = await Dataset.open(lfw);
  const refs = args.includes('--all') ? dataset.refs().map(refKey) : [...new Set(pairImages((await view2PairList(dataset)).pairs).map(refKey))].sort();
  let written = 0;
  const counts = { grey: 0, wide: 0, tall: 0, sides: [] as number[] };
  for (const ref of refs) {
    const spec = tightCropSpec(new Rng(1).fork(`tight-crop/${ref}`));
    if (spec.grey) counts.grey++;
    if (spec.width > spec.height) counts.wide++; else counts.tall++;
    counts.sides.push(spec.longSide);
    const file = path.join(out, ref);
    if (fs.existsSync(file)) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const png = await tightCrop(path.join(lfw, ref), spec);
    fs.writeFileSync(`${file}.part`, await sharp(png).jpeg({ quality: 95 }).toBuffer());
    fs.renameSync(`${file}.part`, file);
    written++;
  }
  const s = counts.sides.sort((a, b) => a - b);
  console.log(`${refs.length} tight crops in ${out} (${written} written now): ${counts.grey} grey, ${counts.wide} wide, ${counts.tall} tall; longer side ${s[0]}-${s[s.length - 1]} px (median ${s[s.length >> 1]})`);
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
