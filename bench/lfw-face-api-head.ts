/**
 * LFW View 2 with a trainable head on the frozen face-api descriptor, trained per fold, next to the
 * zero-shot descriptor on the same folds.
 *
 *   LFW_DIR=/path/to/lfw npx tsx bench/lfw-face-api-head.ts [--epochs N] [--margin M] [--lr L] [--seed S]
 *
 * Reads the cached `square` descriptors (artifacts/eval/lfw-face-api.jsonl, written by
 * bench/lfw-face-api.ts). For each test fold a head (lib/train/head.ts) is trained on the other 9 folds'
 * pairs only (image-restricted: only the given pairs, no identities used to form new pairs), the threshold
 * is fitted on those 9 folds, and the 10th is scored. View 2's folds share no person, which is checked.
 * The descriptor was trained outside LFW (dlib's data): "outside training data" in LFW's terms.
 * Prints mean ± standard error over the folds of accuracy and AUC, and writes
 * artifacts/eval/lfw-face-api-head.json.
 */
import * as fs from 'node:fs';
import { initBackend } from '../lib/backend';
import { loadOfficialPairs, refKey } from '../lib/data';
import type { IsSame } from '../lib/data/types';
import { assertNoFoldLeakage, auc, crossValidate, crossValidateWith, summarizeFolds, type CrossValidation } from '../lib/eval';
import { readEmbeddingCache } from '../lib/faces';
import { euclideanDistance } from '../lib/distances';
import { resolveHead, trainHead } from '../lib/train';
import { artifactsDir } from '../lib/util';

const args = process.argv.slice(2);
const opt = (name: string): number | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : undefined; };
const VARIANT = 'square';
const DIR = { higherIsCloser: false };

async function main(): Promise<void> {
  if (!process.env.LFW_DIR) throw new Error('set LFW_DIR to an LFW folder (the descriptors were computed from it by bench/lfw-face-api.ts)');
  const backend = await initBackend();
  const head = resolveHead(Object.fromEntries(['epochs', 'margin', 'lr', 'seed'].flatMap((k) => (opt(k) === undefined ? [] : [[k, opt(k)]]))));
  const list = await loadOfficialPairs('pairs');
  assertNoFoldLeakage(list);
  const file = artifactsDir('eval', 'lfw-face-api.jsonl');
  const records = readEmbeddingCache(file);
  const vec = (r: { person: string; file: string }) => records.get(refKey(r))?.[VARIANT] as number[] | undefined;
  const a: number[][] = [], b: number[][] = [], isSame: IsSame[] = [], folds: number[] = [];
  let missing = 0;
  for (const [i, p] of list.pairs.entries()) {
    const [x, y] = [vec(p.a), vec(p.b)];
    if (!Array.isArray(x) || !Array.isArray(y)) { missing += 1; continue; }
    a.push(x); b.push(y); isSame.push(p.isSame); folds.push(list.folds[i]);
  }
  console.log(`${list.name}: ${a.length} pairs with descriptors (${missing} missing) from ${file}; backend ${backend.name}; head ${JSON.stringify(head)}`);

  const foldAuc = (values: readonly number[], idx: readonly number[]) => auc(idx.map((i) => values[i]), idx.map((i) => isSame[i]), DIR);
  const testIdx = (k: number) => folds.flatMap((f, i) => (f === k ? [i] : []));

  const raw = a.map((x, i) => euclideanDistance(x, b[i]));
  const zeroShot = crossValidate(raw, isSame, folds, DIR);
  const zeroAucs = zeroShot.folds.map((f) => foldAuc(raw, testIdx(f.fold)));

  const headAucs: number[] = [];
  const started = Date.now();
  const trained = await crossValidateWith(isSame, folds, ({ fold, train, test }) => {
    const h = trainHead({ a: train.map((i) => a[i]), b: train.map((i) => b[i]), isSame: train.map((i) => isSame[i]) }, head);
    const values = (idx: readonly number[]) => idx.map((i) => h.compare(a[i], b[i]));
    const testValues = values(test);
    headAucs.push(auc(testValues, test.map((i) => isSame[i]), DIR));
    console.log(`  fold ${fold + 1}: loss ${h.losses[0].toFixed(4)} -> ${h.losses[h.losses.length - 1].toFixed(4)}, test AUC ${headAucs[headAucs.length - 1].toFixed(4)}`);
    return { train: values(train), test: testValues, ...DIR };
  });
  const seconds = (Date.now() - started) / 1000;

  const row = (name: string, cv: CrossValidation, aucs: number[]) => {
    const s = summarizeFolds(aucs);
    return { name, accuracy: cv.mean, accuracyStdError: cv.stdError, auc: s.mean, aucStdError: s.stdError, foldAccuracies: cv.folds.map((f) => f.accuracy) };
  };
  const rows = [row('face-api zero-shot (outside training data)', zeroShot, zeroAucs), row(`face-api + head per fold (outside training data)`, trained, headAucs)];
  const pct = (m: number, se: number) => `${(100 * m).toFixed(2)} ± ${(100 * se).toFixed(2)} %`;
  console.log(`\nLFW View 2, 10 folds, ${a.length} pairs (threshold fitted on 9 folds; head trained on 9 folds, ${seconds.toFixed(0)} s for all folds)`);
  for (const r of rows) console.log(`  ${r.name.padEnd(50)} accuracy ${pct(r.accuracy, r.accuracyStdError)}   AUC ${r.auc.toFixed(4)} ± ${r.aucStdError.toFixed(4)}`);
  fs.writeFileSync(artifactsDir('eval', 'lfw-face-api-head.json'), JSON.stringify({ pairs: a.length, missing, head, rows, trainSeconds: seconds }, null, 2));
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
