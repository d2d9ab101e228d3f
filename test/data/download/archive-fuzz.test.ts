/**
 * Fuzzing the archive extractor (issue 14, item 1): 1,200 seeded random hostile archives (links, link
 * chains, `..`, absolute paths, GNU long names, pax records, duplicates, file/folder clashes, devices,
 * corrupt headers, huge declared sizes, truncated tar and gzip) are each extracted into a fresh
 * destination deep inside a sandbox. Afterwards the sandbox, walked with lstat (dangling links included),
 * must be exactly as before outside the destinations; every failure must be an ArchiveError; every
 * success must hold only plain files and folders. Then a 256 MiB member shows memory stays bounded.
 * Prints the number of escapes (0) and the peak memory.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ArchiveError, extractTarGz } from '../../../lib/data/download/tar';
import { tempDir } from '../fixtures';
import { extractionPeakRss, memberBytes, peakMemory, rng, snapshotTree, zerosTgz, type TarMember } from './tar-writer';

const ARCHIVES = 1200;
const SEED = 14;

/**
 * Builds one random hostile archive (raw .tgz bytes) whose escapes, if any worked, would land in the
 * sandbox: the extraction root sits 11 folders below it (l1/.../l9/runs/<dest>.partial-*), so a link in
 * folder depth d of the archive reaches the sandbox with d + 11 '..', and `outside/` there exists.
 */
function hostileArchive(rand: () => number, sandbox: string, n: number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const ups = (k: number): string => '../'.repeat(k);
  const outside = pick(['outside', 'outside/deep', 'l1/l2/l3/outside', `outside/esc-${n}`, `l1/l2/esc-${n}`]);
  const names: string[] = [];
  const name = (): string => {
    const kind = int(0, 9);
    const base = pick(['set', 'set/P', 'set/P/Q', 'lfw-deepfunneled/a', 'x']);
    let p: string;
    if (kind <= 4 && names.length > 0 && rand() < 0.4) p = pick(names); // duplicates and clashes
    else if (kind <= 5) p = `${base}/${pick(['a', 'b', 'up', 'esc', 'P_0001.jpg'])}${rand() < 0.3 ? `/${pick(['y.txt', 'z', 'esc'])}` : ''}`;
    else if (kind === 6) p = `${base}/${ups(int(1, 12))}${outside}`;
    else if (kind === 7) p = `${sandbox}/${outside}`;
    else if (kind === 8) p = `${base}/${'d/'.repeat(int(40, 600))}${rand() < 0.5 ? ups(int(1, 700)) : ''}${outside}`;
    else p = `${base}/${'n'.repeat(int(90, 300))}`;
    names.push(p);
    return p;
  };
  const target = (linkPath: string): string => pick(['..', '.', '../..', `${ups(int(1, 12))}${outside}`, `${ups(linkPath.split('/').length - 1 + 11)}${outside}`,
    `${sandbox}/${outside}`, '/etc', 'a', '', pick(names.length ? names : ['a'])]);
  const members: TarMember[] = [];
  const count = int(1, 8);
  for (let i = 0; i < count; i++) {
    const r = rand();
    const longName = rand() < 0.15, paxName = !longName && rand() < 0.15;
    const nm = name();
    const stored = longName || paxName ? pick(['short', nm.slice(0, 99)]) : nm.slice(0, 99);
    const extra: Partial<TarMember> = longName ? { gnuLongName: nm } : paxName ? { pax: { path: nm, ...(rand() < 0.2 ? { mtime: '1.5', 'SCHILY.xattr.x': 'y' } : {}) } } : {};
    if (r < 0.3) members.push({ name: stored, ...extra, data: Buffer.alloc(int(0, 3000), int(0, 255)), mode: pick([0o644, 0o4755, 0o7777, 0]) });
    else if (r < 0.45) members.push({ name: `${stored}/`, ...extra, type: '5', mode: pick([0o755, 0o000, 0o1777]) });
    else if (r < 0.65) members.push({ name: stored, ...extra, type: '2', linkname: target(nm), ...(rand() < 0.3 ? { gnuLongLink: target(nm) } : {}) });
    else if (r < 0.72) members.push({ name: stored, ...extra, type: '1', linkname: target(nm) });
    else if (r < 0.8) {
      // The issue's reproduction: up -> .., then a link through the chain (really in <top>/, so 12 '..' reach
      // the sandbox, while read as text it stays inside the archive), then a file below it.
      const top = pick(['lfw-deepfunneled', 'set']);
      const depth = int(5, 8);
      members.push({ name: `${top}/a/up`, type: '2', linkname: '..' });
      members.push({ name: `${top}/${'a/up/'.repeat(depth)}esc`, type: '2', linkname: `${ups(rand() < 0.7 ? 12 : int(1, 12))}${outside}` });
      if (rand() < 0.8) members.push({ name: `${top}/esc/x${n}/y.txt`, data: 'pwned' });
    } else if (r < 0.85) members.push({ name: stored, ...extra, type: pick(['3', '4', '6', 'S', 'V', 'M', 'D', 'Z']), data: rand() < 0.5 ? 'x' : '' });
    else if (r < 0.9) members.push({ name: stored, data: 'tiny', declaredSize: pick([2 ** 33, 2 ** 40, 1e15, int(5, 100_000)]) });
    else if (r < 0.95) members.push({ name: stored, data: 'x', pax: pick<Record<string, string>>([{ size: 'abc' }, { size: '-1' }, { size: String(2 ** 60) }, { linkpath: target(nm) }, { path: `${nm}\0x` }, { 'GNU.sparse.major': '1' }]) });
    else members.push({ name: stored, data: 'x', pax: { comment: 'c'.repeat(pick([10, 70_000, 1_100_000])) } });
  }
  let raw = Buffer.concat([...members.map(memberBytes), Buffer.alloc(1024)]);
  const damage = rand();
  if (damage < 0.1) raw = raw.subarray(0, int(0, raw.length)); // tar cut anywhere
  else if (damage < 0.15) raw = raw.subarray(0, raw.length - 1024); // no end-of-archive blocks
  else if (damage < 0.22) { // a flipped byte
    raw = Buffer.from(raw);
    raw[int(0, raw.length - 1)] ^= 1 << int(0, 7);
  }
  let gz = zlib.gzipSync(raw);
  if (rand() < 0.08) gz = gz.subarray(0, int(0, gz.length)); // gzip cut anywhere
  return gz;
}

test(`fuzz: ${ARCHIVES} random hostile archives: nothing escapes the destination, every failure is an ArchiveError`, async () => {
  const { dir: sandbox, cleanup } = tempDir('siamese-fuzz-');
  try {
    // Destinations sit 10 folders deep so that any '..' walk the generator can produce still lands inside
    // the sandbox, where the snapshot sees it; decoys wait at several levels.
    const runsRel = 'l1/l2/l3/l4/l5/l6/l7/l8/l9/runs';
    const runs = path.join(sandbox, runsRel);
    fs.mkdirSync(runs, { recursive: true });
    for (const d of ['outside/deep', 'l1/l2/l3/outside']) fs.mkdirSync(path.join(sandbox, d), { recursive: true });
    fs.writeFileSync(path.join(sandbox, 'outside', 'keep.txt'), 'keep');
    const archive = path.join(sandbox, 'archive.tgz');
    const outsideTree = (): string[] => snapshotTree(sandbox, ['archive.tgz', runsRel]);
    const baseline = outsideTree();
    let previous = baseline;
    const rand = rng(SEED);
    const outcomes = new Map<string, number>();
    let escapes = 0, succeeded = 0, linksKept = 0, badModes = 0;
    const unclear: string[] = [];
    const peak = await peakMemory(async () => {
      for (let n = 0; n < ARCHIVES; n++) {
        fs.writeFileSync(archive, hostileArchive(rand, sandbox, n));
        const dest = path.join(runs, `d${n}`);
        try {
          await extractTarGz(archive, dest);
          succeeded++;
          for (const line of snapshotTree(dest)) {
            if (line.startsWith('link') || line.startsWith('other')) linksKept++;
            const file = line.split(' ')[1];
            if ((fs.lstatSync(path.join(dest, file)).mode & 0o7000) !== 0) badModes++;
          }
        } catch (err) {
          if (err instanceof ArchiveError) {
            const kind = err.message.slice(archive.length + 2).replace(/^entry "(?:[^"\\]|\\.)*"(?: \(\d+ bytes\))?: /, '')
              .replace(/"(?:[^"\\]|\\.)*"|\d+/g, 'X').replace(/; delete it and download it again$/, '').slice(0, 90);
            outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
          } else unclear.push(`archive ${n}: ${(err as Error).name}: ${(err as Error).message}`);
        }
        const left = fs.readdirSync(runs);
        if (left.some((f) => f !== `d${n}`)) unclear.push(`archive ${n}: left behind in the destinations folder: ${left.join(', ')}`);
        const now = outsideTree();
        if (JSON.stringify(now) !== JSON.stringify(previous)) {
          escapes++;
          unclear.push(`archive ${n}: the sandbox changed outside the destination: ${now.filter((l) => !previous.includes(l)).join(', ')}`);
          previous = now;
        }
        fs.rmSync(dest, { recursive: true, force: true });
      }
    });
    console.log(`fuzz: ${ARCHIVES} archives (seed ${SEED}): ${escapes} escapes, ${succeeded} extracted (only files and folders: ${linksKept} links or specials kept), ` +
      `${ARCHIVES - succeeded} refused; peak growth rss ${(peak.rss / 2 ** 20).toFixed(1)} MiB, arrayBuffers ${(peak.arrayBuffers / 2 ** 20).toFixed(1)} MiB`);
    console.log(`fuzz: refusals by kind:\n${[...outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${String(v).padStart(5)}  ${k}`).join('\n')}`);
    assert.equal(escapes, 0, unclear.join('\n'));
    assert.deepEqual(outsideTree(), baseline);
    assert.deepEqual(unclear, []);
    assert.equal(linksKept, 0);
    assert.equal(badModes, 0, 'no setuid/setgid/sticky bits extracted');
    assert.ok(succeeded > 20 && succeeded < ARCHIVES, `a mix of good and refused archives (${succeeded} extracted)`);
    assert.ok(outcomes.size >= 15, `many kinds of refusal (${outcomes.size})`);
  } finally {
    cleanup();
  }
});

test('fuzz: a 256 MiB member (zeros, gzip-compressed) extracts in bounded memory', async () => {
  const { dir, cleanup } = tempDir('siamese-fuzz-');
  try {
    const size = 256 * 1024 * 1024;
    const archive = path.join(dir, 'zeros.tgz');
    await zerosTgz(archive, 'set/zeros.bin', size);
    // In this process, sampled (what the test runner's process sees) ...
    const sampled = await peakMemory(() => extractTarGz(archive, path.join(dir, 'a')));
    assert.equal(fs.statSync(path.join(dir, 'a', 'set', 'zeros.bin')).size, size);
    fs.rmSync(path.join(dir, 'a'), { recursive: true });
    // ... and in a child process, exactly (the kernel's high-water mark).
    const exact = extractionPeakRss(archive, path.join(dir, 'b'));
    assert.equal(fs.statSync(path.join(dir, 'b', 'set', 'zeros.bin')).size, size);
    console.log(`fuzz: ${size / 2 ** 20} MiB member (${(fs.statSync(archive).size / 2 ** 20).toFixed(2)} MiB .tgz): sampled peak growth rss ${(sampled.rss / 2 ** 20).toFixed(1)} MiB, ` +
      `arrayBuffers ${(sampled.arrayBuffers / 2 ** 20).toFixed(1)} MiB; child process peak RSS (VmHWM) ${(exact.peak / 2 ** 20).toFixed(1)} MiB (+${(exact.growth / 2 ** 20).toFixed(1)} MiB while extracting)`);
    assert.ok(exact.growth < size / 4, `peak RSS grew by ${(exact.growth / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(sampled.arrayBuffers < size / 4, `array buffers grew by ${(sampled.arrayBuffers / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    cleanup();
  }
});
