import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Dataset, PairFileError, formatOfficialPairs, formatSeed2Pairs, lfwMetaDir, loadOfficialPairs, parseOfficialPairs,
  parseSeed2Pairs, validatePairs, writeSeed2Pairs, readSeed2Pairs, makePairList, lfwRef, OFFICIAL_PAIR_FILES, makeView1Split, makeView2FoldSplit,
} from '../../lib/data';
import { Rng } from '../../lib/util';
import { hostile } from '../hostile';
import { makeLfwFolder, tempDir } from './fixtures';

const SEEDS = '/work/shared/seeds';

test('the three official files parse with their folds and write back byte for byte', async () => {
  const sizes = { pairsDevTrain: [2200, 1], pairsDevTest: [1000, 1], pairs: [6000, 10] };
  for (const which of OFFICIAL_PAIR_FILES) {
    const list = await loadOfficialPairs(which);
    assert.equal(list.pairs.length, sizes[which][0]);
    assert.equal(list.numFolds, sizes[which][1]);
    assert.equal(list.pairs.filter((p) => p.isSame === 1).length, sizes[which][0] / 2);
    const text = fs.readFileSync(path.join(lfwMetaDir(), `${which}.txt`), 'utf8');
    assert.equal(formatOfficialPairs(list), text, `${which} round trip`);
  }
  const view2 = await loadOfficialPairs('pairs');
  // Fold k holds lines 2 + 600k .. 601 + 600k: 300 matched then 300 mismatched.
  assert.deepEqual([view2.folds[0], view2.folds[599], view2.folds[600], view2.folds[5999]], [0, 0, 1, 9]);
  assert.deepEqual(view2.sources[600], { file: path.join(lfwMetaDir(), 'pairs.txt'), line: 602 });
  assert.equal(view2.pairs[299].isSame, 1);
  assert.equal(view2.pairs[300].isSame, 0);
  assert.deepEqual(view2.pairs[0], { a: lfwRef('Abel_Pacheco', 1), b: lfwRef('Abel_Pacheco', 4), isSame: 1 });
});

test('seed2 lists are exactly the View 1 pairs in seed2 format (compared with ../shared/seeds when present)', async (t) => {
  if (!fs.existsSync(SEEDS)) {
    t.skip(`${SEEDS} not found: cannot compare with seed2's train.txt/test.txt`);
    return;
  }
  for (const [which, seed] of [['pairsDevTrain', 'seed2-train.txt'], ['pairsDevTest', 'seed2-test.txt']] as const) {
    const ours = formatSeed2Pairs(await loadOfficialPairs(which)).split('\n').filter(Boolean);
    const theirs = fs.readFileSync(path.join(SEEDS, seed), 'utf8').split('\n').filter(Boolean);
    // seed2 shuffled the order; the lines themselves (and their multiset) are identical.
    assert.equal(ours.length, theirs.length);
    assert.deepEqual([...ours].sort(), [...theirs].sort(), `${which} vs ${seed}`);
    assert.notDeepEqual(ours, theirs, 'seed2 order differs (if this fails, seed2 kept the official order: compare directly)');
    const back = await readSeed2Pairs(path.join(SEEDS, seed));
    assert.equal(back.pairs.length, ours.length);
  }
});

test('seed2 format round trip, and labels must agree with the names', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const list = makePairList('x', [
      { a: lfwRef('A', 1), b: lfwRef('A', 2), isSame: 1 },
      { a: lfwRef('A', 1), b: lfwRef('B', 3), isSame: 0 },
    ]);
    const file = path.join(dir, 'x.txt');
    await writeSeed2Pairs(list, file);
    assert.equal(fs.readFileSync(file, 'utf8'), 'A/A_0001.jpg A/A_0002.jpg 1\nA/A_0001.jpg B/B_0003.jpg 0\n');
    assert.deepEqual((await readSeed2Pairs(file)).pairs, list.pairs);
    assert.throws(() => parseSeed2Pairs('A/a.jpg B/b.jpg 1\nA/a.jpg A/b.jpg 0\nA/a.jpg 1\nA/a.jpg B/b.jpg yes\nAa.jpg B/b.jpg 0\n', 's.txt'), (e: unknown) => {
      assert.ok(e instanceof PairFileError);
      assert.deepEqual(e.issues.map((i) => i.line), [1, 2, 3, 4, 5]);
      assert.match(e.message, /s\.txt:1: label 1 but the images are of different people/);
      assert.match(e.message, /s\.txt:3: expected 3 fields/);
      assert.match(e.message, /s\.txt:4: label must be 0 \(different\) or 1 \(same person\), got "yes"/);
      assert.match(e.message, /s\.txt:5: image paths must be Person\/file, got "Aa.jpg"/);
      return true;
    });
    assert.throws(() => formatSeed2Pairs([{ a: { person: 'Jane Doe', file: 'a.jpg' }, b: { person: 'Bob', file: 'b.jpg' }, isSame: 0 }]), /cannot be written[\s\S]*"Jane Doe\/a.jpg"/);
  } finally {
    cleanup();
  }
});

test('malformed official files: every bad line is listed with file:line', () => {
  const text = ['2', 'Cid\tx\t2', 'Bob\t1', 'Dan\t1\tEve\t2', 'Fay\t1\tGus\t0', ''].join('\n');
  assert.throws(() => parseOfficialPairs(text, 'bad.txt'), (e: unknown) => {
    assert.ok(e instanceof PairFileError);
    assert.match(e.message, /bad\.txt:3: expected 3 fields \(Name n1 n2\) or 4 fields/);
    assert.match(e.message, /bad\.txt:2: bad image number "x"/);
    assert.match(e.message, /bad\.txt:5: bad image number "0"/);
    assert.deepEqual(e.issues.map((i) => i.line), [2, 3, 5]);
    return true;
  });
  assert.throws(() => parseOfficialPairs('3\nAnn\t1\t2\nBob\t1\tCid\t2\n', 'short.txt'),
    /short\.txt:1: header says 1 fold\(s\) x \(3 matched \+ 3 mismatched\) = 6 pairs, but the file has 2 pair lines/);
  assert.throws(() => parseOfficialPairs('1\nBob\t1\tCid\t2\nAnn\t1\t2\n', 'order.txt'), /order\.txt:2: fold 1 expects a matched \(3-field\) pair here, got 4 fields/);
  assert.throws(() => parseOfficialPairs('two\n', 'h.txt'), /h\.txt:1: bad header "two"/);
  assert.throws(() => parseOfficialPairs('', 'e.txt'), /e\.txt:1: file is empty/);
  assert.throws(() => parseOfficialPairs('1\nAnn\t1\t1\nAnn\t1\tAnn\t2\n', 's.txt'), /s\.txt:2: matched pair uses the same image twice[\s\S]*s\.txt:3: mismatched pair names the same person twice/);
});

test('duplicate pairs (in either order) are an error unless allowed', () => {
  const text = '2\nAnn\t1\t2\nAnn\t2\t1\nBob\t1\tCid\t2\nCid\t2\tBob\t1\n';
  assert.throws(() => parseOfficialPairs(text, 'd.txt'), /d\.txt:3: duplicate pair Ann\/Ann_0002.jpg Ann\/Ann_0001.jpg \(same as line 2\)[\s\S]*d\.txt:5: duplicate pair/);
  assert.equal(parseOfficialPairs(text, 'd.txt', { duplicates: 'allow' }).pairs.length, 4);
});

test('validatePairs lists every pair whose person or image is missing', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await makeLfwFolder(dir, [2, 1], 8, ['Ann', 'Bob']);
    const ds = await Dataset.open(dir, { cache: null });
    const list = parseOfficialPairs('2\nAnn\t1\t2\nAnn\t1\t3\nAnn\t1\tBob\t1\nZed\t1\tBob\t4\n', 'v.txt');
    assert.throws(() => validatePairs(list, ds), (e: unknown) => {
      assert.ok(e instanceof PairFileError);
      assert.equal(e.issues.length, 2);
      assert.match(e.message, /2 of 4 pairs in v do not resolve/);
      assert.match(e.message, /v\.txt:3: missing image Ann\/Ann_0003\.jpg \(Ann has 2\)/);
      assert.match(e.message, /v\.txt:5: missing person Zed and image Bob\/Bob_0004\.jpg \(Bob has 1\)/);
      return true;
    });
    validatePairs(parseOfficialPairs('1\nAnn\t1\t2\nAnn\t2\tBob\t1\n', 'ok.txt'), ds);
  } finally {
    cleanup();
  }
});

test('writing the official format refuses lists it cannot represent', () => {
  const unbalanced = makePairList('u', [{ a: lfwRef('A', 1), b: lfwRef('A', 2), isSame: 1 }]);
  assert.throws(() => formatOfficialPairs(unbalanced), /fold 1 has 1 matched and 0 mismatched pairs/);
  const notLfw = makePairList('n', [{ a: { person: 'A', file: 'x.png' }, b: lfwRef('A', 2), isSame: 1 }, { a: lfwRef('A', 1), b: lfwRef('B', 2), isSame: 0 }]);
  assert.throws(() => formatOfficialPairs(notLfw), /A\/x\.png is not an LFW file name/);
});

// ---------------------------------------------------------------------------------------------------------
// Hostile pair files (issue 14): every error names the file and the line; harmless variations are accepted.

const VIEW1 = '1\nAnn\t1\t2\nAnn\t1\tBob\t1\n';
const SEED2 = 'Ann/Ann_0001.jpg Ann/Ann_0002.jpg 1\nAnn/Ann_0001.jpg Bob/Bob_0001.jpg 0\n';

hostile('pairs', 'CRLF line ends parse exactly like LF (both formats)', () => {
  assert.deepEqual(parseOfficialPairs(VIEW1.replace(/\n/g, '\r\n'), 'p.txt').pairs, parseOfficialPairs(VIEW1, 'p.txt').pairs);
  assert.deepEqual(parseSeed2Pairs(SEED2.replace(/\n/g, '\r\n'), 's.txt').pairs, parseSeed2Pairs(SEED2, 's.txt').pairs);
});
hostile('pairs', 'a UTF-8 byte-order mark before a View 2 "folds<TAB>N" header is accepted', () => {
  const list = parseOfficialPairs('\uFEFF1\t1\nAnn\t1\t2\nAnn\t1\tBob\t1\n', 'p.txt');
  assert.deepEqual([list.numFolds, list.pairs.length], [1, 2]);
  assert.equal(parseSeed2Pairs(`\uFEFF${SEED2}`, 's.txt').pairs[0].a.person, 'Ann');
});
hostile('pairs', 'blank lines at the end of the file are accepted (both formats)', () => {
  assert.equal(parseOfficialPairs(`${VIEW1}\n\n  \n`, 'p.txt').pairs.length, 2);
  assert.equal(parseSeed2Pairs(`${SEED2}\n\n`, 's.txt').pairs.length, 2);
});
hostile('pairs', 'a blank line inside the list is refused, naming its line', () => {
  assert.throws(() => parseOfficialPairs('1\nAnn\t1\t2\n\nAnn\t1\tBob\t1\n', 'p.txt'), /p\.txt:1: header says 1 fold\(s\) x \(1 matched \+ 1 mismatched\) = 2 pairs, but the file has 3 pair lines\n {2}p\.txt:3: empty line inside the list/);
  assert.throws(() => parseSeed2Pairs('Ann/Ann_0001.jpg Ann/Ann_0002.jpg 1\n\nAnn/Ann_0001.jpg Bob/Bob_0001.jpg 0\n', 's.txt'), /s\.txt:2: empty line inside the list/);
});
hostile('pairs', 'a stray trailing tab (an empty field) is refused as ambiguous, naming the field', () => {
  assert.throws(() => parseOfficialPairs('1\nAnn\t1\t2\t\nAnn\t1\tBob\t1\n', 'p.txt'), /^PairFileError: 1 bad line\(s\) in pair file p\.txt:\n {2}p\.txt:2: empty field 4 \(a stray tab\?\): "Ann\\t1\\t2\\t"$/);
});
hostile('pairs', 'bare CR (old Mac) line ends are refused instead of read as one line', () => {
  assert.throws(() => parseOfficialPairs(VIEW1.replace(/\n/g, '\r'), 'p.txt'), /p\.txt:1: bare carriage return \(old Mac line ends\?\): save the file with LF or CRLF line ends/);
  assert.throws(() => parseSeed2Pairs(`${SEED2}Ann/Ann_0002.jpg Bob/Bob_0001.jpg 0\r`, 's.txt'), /s\.txt:3: bare carriage return/);
});
hostile('pairs', 'a binary file (NUL bytes) is refused, naming the line', () => {
  assert.throws(() => parseOfficialPairs('1\nAnn\t1\t2\n\u0000\u0001\u0002', 'p.gz'), /p\.gz:3: NUL byte: a binary file, not a text pair list/);
});
hostile('pairs', 'an empty or whitespace-only official file is refused', () => {
  for (const text of ['', '\n', ' \n\n']) assert.throws(() => parseOfficialPairs(text, 'p.txt'), /p\.txt:1: file is empty \(expected a header line\)/);
});
hostile('pairs', 'an empty seed2 file is refused, not read as no pairs', () => {
  assert.throws(() => parseSeed2Pairs('\n', 's.txt'), /s\.txt:1: file is empty \(expected lines "Person\/a\.jpg Other\/b\.jpg label"\)/);
});
hostile('pairs', 'a header that disagrees with the lines is refused (too many, too few)', () => {
  assert.throws(() => parseOfficialPairs('2\nAnn\t1\t2\nAnn\t1\tBob\t1\n', 'p.txt'), /p\.txt:1: header says 1 fold\(s\) x \(2 matched \+ 2 mismatched\) = 4 pairs, but the file has 2 pair lines/);
  assert.throws(() => parseOfficialPairs('2\t1\nAnn\t1\t2\nAnn\t1\tBob\t1\n', 'p.txt'), /p\.txt:1: header says 2 fold\(s\) x \(1 matched \+ 1 mismatched\) = 4 pairs, but the file has 2 pair lines/);
  assert.throws(() => parseOfficialPairs('1\t2\t3\nAnn\t1\t2\n', 'p.txt'), /p\.txt:1: bad header "1\\t2\\t3": expected "N" \(View 1\) or "folds<TAB>N" \(View 2\), positive integers/);
});
hostile('pairs', 'a matched line where the header promises a mismatched one is refused', () => {
  assert.throws(() => parseOfficialPairs('1\nAnn\t1\tBob\t1\nAnn\t1\t2\n', 'p.txt'), /p\.txt:2: fold 1 expects a matched \(3-field\) pair here, got 4 fields\n {2}p\.txt:3: fold 1 expects a mismatched \(4-field\) pair here, got 3 fields/);
});
hostile('pairs', 'wrong column counts name the line and the count', () => {
  assert.throws(() => parseOfficialPairs('1\nAnn\t1\t2\nAnn\t1\tBob\t1\tx\n', 'p.txt'), /p\.txt:3: expected 3 fields \(Name n1 n2\) or 4 fields \(Name1 n1 Name2 n2\), got 5/);
  assert.throws(() => parseOfficialPairs('1\nAnn 1\t2\nAnn\t1\tBob\t1\n', 'p.txt'), /p\.txt:2: expected 3 fields .* got 2: "Ann 1\\t2"/);
  assert.throws(() => parseSeed2Pairs('Ann/Ann_0001.jpg Ann/Ann_0002.jpg\n', 's.txt'), /s\.txt:1: expected 3 fields \(a\.jpg b\.jpg label\), got 2/);
});
hostile('pairs', 'image numbers 0, negative, fractional or of 5 digits are refused', () => {
  for (const n of ['0', '-1', '1.5', '12345']) {
    assert.throws(() => parseOfficialPairs(`1\nAnn\t${n}\t2\nAnn\t1\tBob\t1\n`, 'p.txt'), new RegExp(`p\\.txt:2: bad image number "${n.replace('.', '\\.')}" \\(expected an integer 1\\.\\.9999\\)`));
  }
});
hostile('pairs', 'a duplicate pair (in either order) names both lines, in both formats', () => {
  assert.throws(() => parseOfficialPairs('2\nAnn\t1\t2\nAnn\t2\t1\nAnn\t1\tBob\t1\nBob\t1\tAnn\t1\n', 'p.txt'), /p\.txt:3: duplicate pair Ann\/Ann_0002\.jpg Ann\/Ann_0001\.jpg \(same as line 2\)\n {2}p\.txt:5: duplicate pair Bob\/Bob_0001\.jpg Ann\/Ann_0001\.jpg \(same as line 4\)/);
  assert.throws(() => parseSeed2Pairs(`${SEED2}Ann/Ann_0002.jpg Ann/Ann_0001.jpg 1\n`, 's.txt'), /s\.txt:3: duplicate pair Ann\/Ann_0002\.jpg Ann\/Ann_0001\.jpg \(same as line 1\)/);
});
hostile('pairs', 'a matched pair of one image twice, and a mismatched pair of one person twice, are refused', () => {
  assert.throws(() => parseOfficialPairs('1\nAnn\t2\t2\nAnn\t1\tAnn\t3\n', 'p.txt'), /p\.txt:2: matched pair uses the same image twice \(Ann 2\)\n {2}p\.txt:3: mismatched pair names the same person twice \(Ann\)/);
});
hostile('pairs', "seed2 paths with '..', '.' or a backslash are refused", () => {
  assert.throws(() => parseSeed2Pairs('../Ann_0001.jpg Bob/Bob_0001.jpg 0\n', 's.txt'), /^PairFileError: 1 bad line\(s\) in pair file s\.txt:\n {2}s\.txt:1: image path "\.\.\/Ann_0001\.jpg" has a '\.', '\.\.' or backslash part; paths are Person\/file inside the dataset$/);
  assert.throws(() => parseSeed2Pairs('Ann/Ann_0001.jpg Bob/.. 0\nAnn/a.jpg Ann/b\\c.jpg 1\n', 's.txt'), /s\.txt:1: image path "Bob\/\.\." has[\s\S]*s\.txt:2: image path "Ann\/b\\\\c\.jpg" has a '\.', '\.\.' or backslash part/);
});
hostile('pairs', 'a seed2 file with a header line says that this format has none', () => {
  assert.throws(() => parseSeed2Pairs(`a b label\n${SEED2}`, 's.txt'), /s\.txt:1: image paths must be Person\/file, got "a" \(a header line\? this format has none\)/);
});
hostile('pairs', 'a label that disagrees with the people is refused', () => {
  assert.throws(() => parseSeed2Pairs('Ann/Ann_0001.jpg Bob/Bob_0001.jpg 1\n', 's.txt'), /s\.txt:1: label 1 but the images are of different people/);
  assert.throws(() => parseSeed2Pairs('Ann/Ann_0001.jpg Ann/Ann_0002.jpg 2\n', 's.txt'), /s\.txt:1: label must be 0 \(different\) or 1 \(same person\), got "2"/);
});
hostile('pairs', 'a file of thousands of bad lines lists the first 50 and counts the rest; every issue is kept', () => {
  const text = `1\n${Array.from({ length: 3000 }, () => 'garbage').join('\n')}\n`;
  assert.throws(() => parseOfficialPairs(text, 'p.txt'), (e: unknown) => {
    assert.ok(e instanceof PairFileError);
    assert.equal(e.issues.length, 3001);
    assert.equal(e.message.split('\n').length, 1 + 50 + 1);
    assert.match(e.message, /\n {2}\.\.\. and 2951 more \(all in the error's issues\)$/);
    return true;
  });
});
hostile('pairs', 'pairs naming an image past the person\'s count, or an unknown person, name file:line and the count', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await makeLfwFolder(dir, [3, 1], 8, ['Foo_Bar', 'Bob']);
    const ds = await Dataset.open(dir, { cache: null });
    const list = parseOfficialPairs('1\t2\nFoo_Bar\t1\t2\nFoo_Bar\t1\t4\nFoo_Bar\t1\tZed\t1\nFoo_Bar\t2\tBob\t1\n', 'pairs.txt');
    assert.throws(() => validatePairs(list, ds), /2 of 4 pairs in pairs do not resolve in dataset .*:\n {2}pairs\.txt:3: missing image Foo_Bar\/Foo_Bar_0004\.jpg \(Foo_Bar has 3\)\n {2}pairs\.txt:4: missing person Zed$/);
  } finally {
    cleanup();
  }
});
hostile('pairs', 'a View 1 split from a dataset pair file with a missing image names pairsDevTrain.txt:line (not "pair 3")', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await makeLfwFolder(dir, [3, 3, 2, 2], 8, ['Ann', 'Bob', 'Cy', 'Di']);
    fs.writeFileSync(path.join(dir, 'pairsDevTrain.txt'), '2\nAnn\t1\t2\nBob\t1\t7\nAnn\t3\tBob\t1\nAnn\t1\tBob\t2\n');
    fs.writeFileSync(path.join(dir, 'pairsDevTest.txt'), '1\nCy\t1\t2\nCy\t1\tDi\t1\n');
    const ds = await Dataset.open(dir, { cache: null });
    await assert.rejects(makeView1Split(ds, new Rng(1)), /1 of 4 pairs in pairsDevTrain do not resolve[\s\S]*pairsDevTrain\.txt:3: missing image Bob\/Bob_0007\.jpg \(Bob has 3\)/);
  } finally {
    cleanup();
  }
});
hostile('pairs', 'a View 2 fold split from a pairs.txt naming an unknown person names pairs.txt:line', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await makeLfwFolder(dir, [3, 3, 2, 2], 8, ['Ann', 'Bob', 'Cy', 'Di']);
    fs.writeFileSync(path.join(dir, 'pairs.txt'), '2\t1\nAnn\t1\t2\nAnn\t3\tBob\t1\nCy\t1\t2\nCy\t1\tEve\t1\n');
    const ds = await Dataset.open(dir, { cache: null });
    await assert.rejects(makeView2FoldSplit(ds, 0), /pairs\.txt:5: missing person Eve/);
  } finally {
    cleanup();
  }
});
