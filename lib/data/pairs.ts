/**
 * Pair files: LFW's official View 1 / View 2 files and the Siamese CNN reference's `a.jpg b.jpg label` lists (its
 * train.txt / test.txt; the functions keep the old `Seed2` in their names), read into
 * {@link PairList}s that remember each pair's file, line and fold, and written back byte for byte.
 *
 * Official format (tab-separated): a header `N` (View 1: N matched then N mismatched pairs) or
 * `folds<TAB>N` (View 2: each fold N matched then N mismatched); matched lines `Name n1 n2`, mismatched
 * lines `Name1 n1 Name2 n2`, n the 1-based image number (`Name/Name_%04d.jpg`).
 * The reference's format: `Name/Name_0001.jpg Other/Other_0002.jpg 1` per line, 1 = same person.
 *
 * Every reader collects all bad lines and throws one {@link PairFileError} listing them with `file:line`;
 * {@link validatePairs} does the same for pairs whose person or image is missing from a dataset.
 * Harmless variations are accepted: a UTF-8 byte-order mark, CRLF line ends, blank lines at the end of the
 * file. Ambiguous ones are refused, naming the line: a blank line inside the list, an empty field (a stray
 * tab), bare-CR line ends, a binary file, an empty file, a header that disagrees with the lines.
 *
 * @see notebooks/02-splitting.ipynb
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { lfwRef, refKey, type Dataset } from './dataset';
import { lfwMetaDir } from './paths';
import type { ImageRef, IsSame, Pair, PairList, PairSource } from './types';

/** One bad line of a pair file (or one pair that does not resolve). */
export interface PairIssue {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** A pair file with bad lines, or pairs that do not resolve; `issues` lists every one. */
export class PairFileError extends Error {
  constructor(readonly issues: readonly PairIssue[], headline: string) {
    const shown = issues.slice(0, MAX_SHOWN).map((i) => `  ${i.file}:${i.line}: ${i.message}`);
    if (issues.length > MAX_SHOWN) shown.push(`  ... and ${issues.length - MAX_SHOWN} more (all in the error's issues)`);
    super(`${headline}\n${shown.join('\n')}`);
    this.name = 'PairFileError';
  }
}

/** How many issues a {@link PairFileError}'s message lists (all are in `issues`). */
const MAX_SHOWN = 50;

/** Options for the readers. */
export interface ReadPairsOptions {
  /** The list's name (default: the file name without extension). */
  readonly name?: string;
  /** What to do with a pair that repeats an earlier one (in either order): `'error'` (default) or `'allow'`. */
  readonly duplicates?: 'error' | 'allow';
}

/** The three official files shipped in data/lfw-meta/. */
export type OfficialPairFile = 'pairsDevTrain' | 'pairsDevTest' | 'pairs';

/** The three official files' names, View 1 train, View 1 test, View 2. */
export const OFFICIAL_PAIR_FILES: readonly OfficialPairFile[] = ['pairsDevTrain', 'pairsDevTest', 'pairs'];

/** An order-independent key for a pair's two images. */
export function pairKey(pair: Pair): string {
  const a = refKey(pair.a);
  const b = refKey(pair.b);
  return a < b ? `${a}\t${b}` : `${b}\t${a}`;
}

/** Builds a PairList from pairs made in memory (sources point at `<name>` and the pair's 1-based index). */
export function makePairList(name: string, pairs: readonly Pair[], folds?: readonly number[]): PairList {
  const f = folds ?? pairs.map(() => 0);
  if (f.length !== pairs.length) throw new RangeError(`makePairList: ${pairs.length} pairs but ${f.length} folds`);
  const numFolds = pairs.length ? Math.max(...f) + 1 : 1;
  return { name, pairs: [...pairs], sources: pairs.map((_, i) => ({ file: `<${name}>`, line: i + 1 })), folds: [...f], numFolds };
}

/**
 * The lines of a pair file: a byte-order mark dropped, LF or CRLF ends, blank lines at the end dropped.
 * Refuses (naming the file and line) binary content and bare-CR line ends, which would misparse silently.
 */
function splitLines(text: string, file: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lineOf = (at: number): number => body.slice(0, at).split('\n').length;
  const nul = body.indexOf('\u0000');
  if (nul >= 0) throw new PairFileError([{ file, line: lineOf(nul), message: 'NUL byte: a binary file, not a text pair list' }], `bad pair file ${file}`);
  const cr = body.search(/\r(?!\n)/);
  if (cr >= 0) throw new PairFileError([{ file, line: lineOf(cr), message: 'bare carriage return (old Mac line ends?): save the file with LF or CRLF line ends' }], `bad pair file ${file}`);
  const lines = body.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  return lines;
}

function fieldsOf(line: string): string[] {
  return line.includes('\t') ? line.split('\t') : line.trim().split(/\s+/);
}

function positiveInt(s: string): number | null {
  return /^\d{1,4}$/.test(s) && Number(s) >= 1 ? Number(s) : null;
}

function checkDuplicates(pairs: readonly Pair[], sources: readonly PairSource[], issues: PairIssue[]): void {
  const seen = new Map<string, number>();
  pairs.forEach((p, i) => {
    const key = pairKey(p);
    const first = seen.get(key);
    if (first !== undefined) issues.push({ ...sources[i], message: `duplicate pair ${refKey(p.a)} ${refKey(p.b)} (same as line ${sources[first].line})` });
    else seen.set(key, i);
  });
}

/** Parses the text of an official LFW pair file; `file` names it in errors. */
export function parseOfficialPairs(text: string, file: string, options: ReadPairsOptions = {}): PairList {
  const name = options.name ?? path.basename(file).replace(/\.[^.]*$/, '');
  const lines = splitLines(text, file);
  const issues: PairIssue[] = [];
  const bad = (line: number, message: string): void => void issues.push({ file, line, message });
  if (lines.length === 0) throw new PairFileError([{ file, line: 1, message: 'file is empty (expected a header line)' }], `bad pair file ${file}`);
  const header = fieldsOf(lines[0]);
  const nums = header.map(positiveIntAny);
  let numFolds: number;
  let perHalf: number;
  if (header.length === 1 && nums[0] !== null) [numFolds, perHalf] = [1, nums[0]];
  else if (header.length === 2 && nums[0] !== null && nums[1] !== null) [numFolds, perHalf] = [nums[0], nums[1]];
  else throw new PairFileError([{ file, line: 1, message: `bad header ${JSON.stringify(lines[0])}: expected "N" (View 1) or "folds<TAB>N" (View 2), positive integers` }], `bad pair file ${file}`);
  const expected = numFolds * 2 * perHalf;
  const body = lines.length - 1;
  if (body !== expected) {
    bad(1, `header says ${numFolds} fold(s) x (${perHalf} matched + ${perHalf} mismatched) = ${expected} pairs, but the file has ${body} pair lines`);
  }
  const pairs: Pair[] = [];
  const sources: PairSource[] = [];
  const folds: number[] = [];
  for (let i = 0; i < body; i++) {
    const lineNo = i + 2;
    const raw = lines[i + 1];
    const fields = fieldsOf(raw);
    const fold = Math.min(numFolds - 1, Math.floor(i / (2 * perHalf)));
    const shouldMatch = i < expected ? (i % (2 * perHalf)) < perHalf : fields.length === 3;
    if (raw.trim() === '') { bad(lineNo, 'empty line inside the list'); continue; }
    const empty = fields.findIndex((f) => f.trim() === '');
    if (empty >= 0) { bad(lineNo, `empty field ${empty + 1} (a stray tab?): ${JSON.stringify(raw)}`); continue; }
    if (fields.length !== 3 && fields.length !== 4) {
      bad(lineNo, `expected 3 fields (Name n1 n2) or 4 fields (Name1 n1 Name2 n2), got ${fields.length}: ${JSON.stringify(raw)}`);
      continue;
    }
    const isSame: IsSame = fields.length === 3 ? 1 : 0;
    if ((isSame === 1) !== shouldMatch) {
      bad(lineNo, `fold ${fold + 1} expects a ${shouldMatch ? 'matched (3-field)' : 'mismatched (4-field)'} pair here, got ${fields.length} fields`);
    }
    const [p1, s1, p2, s2] = isSame ? [fields[0], fields[1], fields[0], fields[2]] : fields;
    const n1 = positiveInt(s1);
    const n2 = positiveInt(s2);
    if (n1 === null || n2 === null) {
      bad(lineNo, `bad image number ${JSON.stringify(n1 === null ? s1 : s2)} (expected an integer 1..9999)`);
      continue;
    }
    if (!p1 || !p2) { bad(lineNo, 'empty person name'); continue; }
    if (isSame && n1 === n2) bad(lineNo, `matched pair uses the same image twice (${p1} ${n1})`);
    if (!isSame && p1 === p2) bad(lineNo, `mismatched pair names the same person twice (${p1})`);
    pairs.push({ a: lfwRef(p1, n1), b: lfwRef(p2, n2), isSame });
    sources.push({ file, line: lineNo });
    folds.push(fold);
  }
  if (options.duplicates !== 'allow') checkDuplicates(pairs, sources, issues);
  if (issues.length) {
    issues.sort((x, y) => x.line - y.line);
    throw new PairFileError(issues, `${issues.length} bad line(s) in pair file ${file}:`);
  }
  return { name, pairs, sources, folds, numFolds };
}

function positiveIntAny(s: string): number | null {
  return /^\d+$/.test(s) && Number(s) >= 1 ? Number(s) : null;
}

/** Reads an official LFW pair file (pairsDevTrain.txt, pairsDevTest.txt, pairs.txt or one in that format). */
export async function readOfficialPairs(file: string, options: ReadPairsOptions = {}): Promise<PairList> {
  return parseOfficialPairs(await fs.readFile(file, 'utf8'), file, options);
}

/** Reads one of the official files shipped in data/lfw-meta/ (or in `metaDir`). */
export async function loadOfficialPairs(which: OfficialPairFile, metaDir: string = lfwMetaDir()): Promise<PairList> {
  if (!OFFICIAL_PAIR_FILES.includes(which)) throw new RangeError(`official pair file must be one of ${OFFICIAL_PAIR_FILES.join(', ')}, got ${JSON.stringify(which)}`);
  return readOfficialPairs(path.join(metaDir, `${which}.txt`));
}

function lfwNumber(ref: ImageRef): number | null {
  const m = /^(.*)_(\d{4})\.jpg$/.exec(ref.file);
  return m && m[1] === ref.person && Number(m[2]) >= 1 ? Number(m[2]) : null;
}

/**
 * Formats a PairList in the official format. Each fold must hold the same number N of matched and of
 * mismatched pairs, and every image must have an LFW name (`Name_%04d.jpg`). Within a fold, matched
 * pairs come first, each group in list order, so `formatOfficialPairs(parseOfficialPairs(t))` is `t`.
 */
export function formatOfficialPairs(list: PairList): string {
  const problems: string[] = [];
  const perFold = Array.from({ length: list.numFolds }, () => ({ same: [] as Pair[], diff: [] as Pair[] }));
  list.pairs.forEach((p, i) => {
    const fold = list.folds[i];
    if (!Number.isInteger(fold) || fold < 0 || fold >= list.numFolds) problems.push(`pair ${i + 1}: fold ${fold} outside 0..${list.numFolds - 1}`);
    else (p.isSame ? perFold[fold].same : perFold[fold].diff).push(p);
    for (const r of [p.a, p.b]) {
      if (lfwNumber(r) === null) problems.push(`pair ${i + 1}: ${refKey(r)} is not an LFW file name (Name/Name_NNNN.jpg)`);
      if (/\s/.test(r.person)) problems.push(`pair ${i + 1}: person ${JSON.stringify(r.person)} contains whitespace`);
    }
  });
  const n = perFold[0]?.same.length ?? 0;
  perFold.forEach((f, k) => {
    if (f.same.length !== n || f.diff.length !== n) problems.push(`fold ${k + 1} has ${f.same.length} matched and ${f.diff.length} mismatched pairs; every fold needs ${n} of each`);
  });
  if (problems.length) throw new RangeError(`cannot write ${list.name} in the official format:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''}`);
  const out: string[] = [list.numFolds === 1 ? `${n}` : `${list.numFolds}\t${n}`];
  for (const f of perFold) {
    for (const p of f.same) out.push(`${p.a.person}\t${lfwNumber(p.a)}\t${lfwNumber(p.b)}`);
    for (const p of f.diff) out.push(`${p.a.person}\t${lfwNumber(p.a)}\t${p.b.person}\t${lfwNumber(p.b)}`);
  }
  return `${out.join('\n')}\n`;
}

function parseRef(s: string): ImageRef | null {
  const slash = s.indexOf('/');
  if (slash <= 0 || slash === s.length - 1 || s.indexOf('/', slash + 1) !== -1) return null;
  return { person: s.slice(0, slash), file: s.slice(slash + 1) };
}

/** Whether a ref could name something outside its person folder (`.`, `..`, a backslash). */
function escapes(ref: ImageRef): boolean {
  return [ref.person, ref.file].some((part) => part === '.' || part === '..' || part.includes('\\'));
}

/** Parses the Siamese CNN reference's `Person/file.jpg Person2/file.jpg label` format (1 = same person). */
export function parseSeed2Pairs(text: string, file: string, options: ReadPairsOptions = {}): PairList {
  const name = options.name ?? path.basename(file).replace(/\.[^.]*$/, '');
  const issues: PairIssue[] = [];
  const pairs: Pair[] = [];
  const sources: PairSource[] = [];
  const lines = splitLines(text, file);
  if (lines.length === 0) throw new PairFileError([{ file, line: 1, message: 'file is empty (expected lines "Person/a.jpg Other/b.jpg label")' }], `bad pair file ${file}`);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const bad = (message: string): void => void issues.push({ file, line, message });
    const fields = raw.trim().split(/\s+/);
    if (raw.trim() === '') return bad('empty line inside the list');
    if (fields.length !== 3) return bad(`expected 3 fields (a.jpg b.jpg label), got ${fields.length}: ${JSON.stringify(raw)}`);
    const a = parseRef(fields[0]);
    const b = parseRef(fields[1]);
    if (!a || !b) {
      return bad(`image paths must be Person/file, got ${JSON.stringify(a ? fields[1] : fields[0])}${line === 1 && !raw.includes('/') ? ' (a header line? this format has none)' : ''}`);
    }
    const outside = [a, b].find(escapes);
    if (outside) return bad(`image path ${JSON.stringify(refKey(outside))} has a '.', '..' or backslash part; paths are Person/file inside the dataset`);
    if (fields[2] !== '0' && fields[2] !== '1') return bad(`label must be 0 (different) or 1 (same person), got ${JSON.stringify(fields[2])}`);
    const isSame: IsSame = fields[2] === '1' ? 1 : 0;
    if ((a.person === b.person) !== (isSame === 1)) {
      return bad(`label ${isSame} but the images are of ${a.person === b.person ? 'the same person' : 'different people'}`);
    }
    if (isSame && a.file === b.file) return bad(`pair uses the same image twice (${refKey(a)})`);
    pairs.push({ a, b, isSame });
    sources.push({ file, line });
  });
  if (options.duplicates !== 'allow') checkDuplicates(pairs, sources, issues);
  if (issues.length) {
    issues.sort((x, y) => x.line - y.line);
    throw new PairFileError(issues, `${issues.length} bad line(s) in pair file ${file}:`);
  }
  return { name, pairs, sources, folds: pairs.map(() => 0), numFolds: 1 };
}

/** Reads a pair list in the Siamese CNN reference's format. */
export async function readSeed2Pairs(file: string, options: ReadPairsOptions = {}): Promise<PairList> {
  return parseSeed2Pairs(await fs.readFile(file, 'utf8'), file, options);
}

/** Formats pairs in the Siamese CNN reference's format, in list order. Names containing whitespace cannot be written (listed in the error). */
export function formatSeed2Pairs(list: PairList | readonly Pair[]): string {
  const pairs = 'pairs' in list ? list.pairs : list;
  const bad = pairs.flatMap((p, i) => [p.a, p.b].filter((r) => /\s/.test(refKey(r))).map((r) => `pair ${i + 1}: ${JSON.stringify(refKey(r))}`));
  if (bad.length) throw new RangeError(`the Siamese CNN reference's pair format is space-separated, so these names cannot be written (rename them or use the official format):\n  ${bad.join('\n  ')}`);
  return pairs.map((p) => `${refKey(p.a)} ${refKey(p.b)} ${p.isSame}\n`).join('');
}

/** Writes pairs in the Siamese CNN reference's format. */
export async function writeSeed2Pairs(list: PairList | readonly Pair[], file: string): Promise<void> {
  await fs.writeFile(file, formatSeed2Pairs(list));
}

/** The pairs of a list whose person or image is missing from `dataset`, one issue per bad pair. */
export function findMissing(list: PairList, dataset: Dataset): PairIssue[] {
  const issues: PairIssue[] = [];
  list.pairs.forEach((p, i) => {
    const missing: string[] = [];
    for (const r of [p.a, p.b]) {
      if (!dataset.hasPerson(r.person)) {
        if (!missing.includes(`person ${r.person}`)) missing.push(`person ${r.person}`);
      } else if (!dataset.has(r)) {
        missing.push(`image ${refKey(r)} (${r.person} has ${dataset.images(r.person).length})`);
      }
    }
    if (missing.length) issues.push({ ...list.sources[i], message: `missing ${missing.join(' and ')}` });
  });
  return issues;
}

/** Checks that every pair resolves in `dataset`; throws one {@link PairFileError} listing ALL bad lines. */
export function validatePairs(list: PairList, dataset: Dataset): void {
  const issues = findMissing(list, dataset);
  if (issues.length) throw new PairFileError(issues, `${issues.length} of ${list.pairs.length} pairs in ${list.name} do not resolve in dataset ${dataset.root}:`);
}

/**
 * The pair files that go with `dataset`: its own official-format files when its root has them (the
 * synthetic set ships `pairsDevTrain.txt`, `pairsDevTest.txt`, `pairs.txt`), else LFW's shipped files.
 * `shipped` says which.
 */
export async function pairFilesFor(dataset: Dataset): Promise<{ lists: PairList[]; shipped: boolean; files: string[] }> {
  const own = OFFICIAL_PAIR_FILES.map((n) => path.join(dataset.root, `${n}.txt`));
  const exists = await Promise.all(own.map((f) => fs.stat(f).then((s) => s.isFile(), () => false)));
  const files = exists.some(Boolean) ? own.filter((_, i) => exists[i]) : OFFICIAL_PAIR_FILES.map((n) => path.join(lfwMetaDir(), `${n}.txt`));
  const lists: PairList[] = [];
  for (const f of files) lists.push(await readOfficialPairs(f));
  return { lists, shipped: exists.some(Boolean), files };
}
