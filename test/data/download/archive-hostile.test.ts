/**
 * Hostile archives, downloads and dataset folders (issue 14, items 1-4): each case asserts the exact error
 * (naming the archive and the entry) or the correct result, that nothing was published or left behind,
 * and that nothing appeared outside the destination.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before } from 'node:test';
import { hostile } from '../../hostile';
import { ArchiveError, extractTarGz } from '../../../lib/data/download/tar';
import { ChecksumError, DownloadError, fetchDataset, type ArchiveSource } from '../../../lib/data/download/download';
import { Dataset, DatasetError } from '../../../lib/data/dataset';
import { resolveData } from '../../../lib/data/resolve';
import { makeLfwFolder, solidImage, tempDir } from '../fixtures';
import { extractionPeakRss, snapshotTree, tar, tgz, zerosTgz, type TarMember } from './tar-writer';

const root = path.resolve(__dirname, '..', '..', '..');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// ---- archives: extractTarGz -----------------------------------------------------------------------

/**
 * Extracts `archive` (members or raw .tgz bytes) into `<sandbox>/out/dest` and asserts it is refused with
 * exactly `<archive>: <expected>` (a string, or a regexp for the part after `<archive>: `), that nothing
 * was published, the temporary folder is gone and nothing appeared anywhere else in the sandbox.
 */
async function refused(archive: readonly TarMember[] | Buffer, expected: string | RegExp, prepare?: (sandbox: string) => void): Promise<void> {
  const { dir, cleanup } = tempDir('siamese-arc-');
  try {
    fs.mkdirSync(path.join(dir, 'outside'));
    fs.writeFileSync(path.join(dir, 'outside', 'keep.txt'), 'keep');
    prepare?.(dir);
    const file = path.join(dir, 'evil.tgz');
    fs.writeFileSync(file, Buffer.isBuffer(archive) ? archive : tgz(archive));
    const beforeTree = snapshotTree(dir);
    const dest = path.join(dir, 'out', 'dest');
    const err = await extractTarGz(file, dest).then(() => null, (e: Error) => e);
    // First what matters most: nothing outside the destination, nothing published, nothing left behind.
    assert.deepEqual(snapshotTree(dir, ['out']), beforeTree, 'nothing appeared or changed outside the destination');
    assert.equal(fs.existsSync(dest), false, 'nothing published');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'out')), [], 'the temporary folder is removed');
    assert.ok(err instanceof ArchiveError, `an ArchiveError, got ${err ? `${err.name}: ${err.message}` : 'success'}`);
    if (typeof expected === 'string') assert.equal(err.message, `${file}: ${expected}`);
    else {
      assert.ok(err.message.startsWith(`${file}: `), err.message);
      assert.match(err.message.slice(file.length + 2), expected);
    }
  } finally {
    cleanup();
  }
}

/** Extracts and returns the destination and the extraction result; asserts nothing appeared outside it. */
async function extracted(members: readonly TarMember[]): Promise<{ dest: string; cleanup: () => void; result: Awaited<ReturnType<typeof extractTarGz>> }> {
  const { dir, cleanup } = tempDir('siamese-arc-');
  const file = path.join(dir, 'ok.tgz');
  fs.writeFileSync(file, tgz(members));
  const beforeTree = snapshotTree(dir);
  const dest = path.join(dir, 'dest');
  const result = await extractTarGz(file, dest);
  assert.deepEqual(snapshotTree(dir, ['dest']), beforeTree);
  return { dest, cleanup, result };
}

const LINKS_REFUSED = 'refused: dataset archives hold only files and folders';

hostile('archives', 'issue 14 #1: a symlink chain escaping the destination (link target exists) creates nothing outside it', async () => {
  // up -> .. makes a/up/a/up/a/up the archive's top folder itself, so "../../../outside/escaped" from there is
  // the sandbox's outside/ folder while, read as text, it stays inside the archive.
  await refused([
    { name: 'lfw-deepfunneled/a/up', type: '2', linkname: '..' },
    { name: 'lfw-deepfunneled/a/up/a/up/a/up/esc', type: '2', linkname: '../../../outside/escaped' },
    { name: 'lfw-deepfunneled/esc/x/y.txt', data: 'pwned' },
  ], `entry "lfw-deepfunneled/a/up": symbolic link (to "..") ${LINKS_REFUSED}`, (dir) => fs.mkdirSync(path.join(dir, 'outside', 'escaped')));
});

hostile('archives', 'issue 14 #1: a symlink chain whose target does not exist yet is refused (no dangling link out)', async () => {
  await refused([
    { name: 'lfw-deepfunneled/a/up', type: '2', linkname: '..' },
    { name: 'lfw-deepfunneled/a/up/a/up/a/up/esc', type: '2', linkname: '../../../outside/not-yet' },
  ], `entry "lfw-deepfunneled/a/up": symbolic link (to "..") ${LINKS_REFUSED}`);
});

hostile('archives', 'a harmless relative symlink inside the archive is refused too (LFW has none)', async () => {
  await refused([{ name: 'set/a.jpg', data: 'x' }, { name: 'set/b.jpg', type: '2', linkname: 'a.jpg' }],
    `entry "set/b.jpg": symbolic link (to "a.jpg") ${LINKS_REFUSED}`);
});

hostile('archives', 'a symlink to an absolute path', async () => {
  await refused([{ name: 'set/etc', type: '2', linkname: '/etc' }], `entry "set/etc": symbolic link (to "/etc") ${LINKS_REFUSED}`);
});

hostile('archives', 'a hard link to an earlier file of the archive', async () => {
  await refused([{ name: 'set/a.txt', data: 'a' }, { name: 'set/h.txt', type: '1', linkname: 'set/a.txt' }],
    `entry "set/h.txt": hard link (to "set/a.txt") ${LINKS_REFUSED}`);
});

hostile('archives', 'a hard link to a file outside (/etc/passwd)', async () => {
  await refused([{ name: 'set/passwd', type: '1', linkname: '/etc/passwd' }], `entry "set/passwd": hard link (to "/etc/passwd") ${LINKS_REFUSED}`);
});

hostile('archives', 'a symlink whose target comes from a pax linkpath record', async () => {
  await refused([{ name: 'set/l', type: '2', linkname: 'short', pax: { linkpath: '../../../../etc' } }],
    `entry "set/l": symbolic link (to "../../../../etc") ${LINKS_REFUSED}`);
});

hostile('archives', 'a character device', async () => {
  await refused([{ name: 'set/null', type: '3' }], `entry "set/null": character device ${LINKS_REFUSED}`);
});

hostile('archives', 'a block device', async () => {
  await refused([{ name: 'set/sda', type: '4' }], `entry "set/sda": block device ${LINKS_REFUSED}`);
});

hostile('archives', 'a FIFO', async () => {
  await refused([{ name: 'set/pipe', type: '6' }], `entry "set/pipe": FIFO (named pipe) ${LINKS_REFUSED}`);
});

hostile('archives', 'an unknown entry type (GNU sparse "S")', async () => {
  await refused([{ name: 'set/sparse', type: 'S', data: 'x' }], `entry "set/sparse": unsupported entry type "S" ${LINKS_REFUSED}`);
});

hostile('archives', "a path with a '..' component", async () => {
  await refused([{ name: 'set/ok.txt', data: 'ok' }, { name: 'set/../../outside/evil.txt', data: 'x' }],
    `entry "set/../../outside/evil.txt": path with a '..' component refused`);
});

hostile('archives', 'an absolute path', async () => {
  await refused([{ name: '/tmp/evil.txt', data: 'x' }], 'entry "/tmp/evil.txt": absolute path refused');
});

hostile('archives', 'a Windows drive path', async () => {
  await refused([{ name: 'C:\\evil.txt', data: 'x' }], 'entry "C:\\\\evil.txt": absolute path refused');
});

hostile('archives', "a GNU long name (L record) hiding a '..' component", async () => {
  await refused([{ name: 'set/harmless.txt', gnuLongName: `set/${'d/'.repeat(60)}../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../outside/x.txt`, data: 'x' }],
    /^entry "set\/d\/d\/.*" \(329 bytes\): path with a '\.\.' component refused$/);
});

hostile('archives', "a pax path record hiding a '..' component", async () => {
  await refused([{ name: 'set/harmless.txt', pax: { path: 'set/../../outside/x.txt' }, data: 'x' }],
    `entry "set/../../outside/x.txt": path with a '..' component refused`);
});

hostile('archives', 'a pax path with a NUL byte', async () => {
  await refused([{ name: 'set/harmless.txt', pax: { path: 'set/a\0b.txt' }, data: 'x' }], 'entry "set/a\\u0000b.txt": path contains a NUL byte');
});

hostile('archives', 'a path component longer than 255 bytes (pax path)', async () => {
  await refused([{ name: 'set/x', pax: { path: `set/${'n'.repeat(300)}.jpg` }, data: 'x' }],
    /^entry "set\/n{60,}…n+\.jpg" \(308 bytes\): a path component is longer than 255 bytes$/);
});

hostile('archives', 'a path longer than 4095 bytes (GNU long name)', async () => {
  await refused([{ name: 'set/x', gnuLongName: `set/${'abcdefgh/'.repeat(500)}x.jpg`, data: 'x' }],
    /^entry "set\/abcdefgh\/.*….*x\.jpg" \(4509 bytes\): path longer than 4095 bytes refused$/);
});

hostile('archives', 'a duplicate file entry', async () => {
  await refused([{ name: 'set/a.txt', data: 'first' }, { name: 'set/a.txt', data: 'second' }],
    'entry "set/a.txt": duplicate entry: a file of this name was extracted earlier');
});

hostile('archives', 'a file, then a folder of the same name (was a raw EEXIST)', async () => {
  await refused([{ name: 'set/a', data: 'file' }, { name: 'set/a/', type: '5' }],
    'entry "set/a/": a file of this name was extracted earlier; it cannot also be a folder');
});

hostile('archives', 'a folder, then a file of the same name (was a raw EISDIR)', async () => {
  await refused([{ name: 'set/a/', type: '5' }, { name: 'set/a', data: 'file' }],
    'entry "set/a": a folder of this name was extracted earlier; it cannot also be a file');
});

hostile('archives', 'a file, then a file below it (a/b under the file a)', async () => {
  await refused([{ name: 'set/a', data: 'file' }, { name: 'set/a/b.txt', data: 'x' }],
    'entry "set/a/b.txt": "set/a" was extracted as a file earlier, so it cannot be a folder');
});

hostile('archives', 'a gzip stream cut in the middle', async () => {
  const whole = tgz([{ name: 'set/a.bin', data: Buffer.alloc(200_000, 7) }, { name: 'set/b.bin', data: Buffer.from(crypto.getRandomValues(new Uint8Array(50_000))) }]);
  await refused(whole.subarray(0, Math.floor(whole.length / 2)),
    'not a valid .tgz (gzip: unexpected end of file); the file is truncated or corrupt: delete it and download it again');
});

hostile('archives', 'a complete gzip holding a tar cut inside a member', async () => {
  const t = tar([{ name: 'set/a.bin', data: Buffer.alloc(5000, 1) }]);
  await refused(zlib.gzipSync(t.subarray(0, 512 + 3000)),
    /^truncated tar: the archive ends inside "set\/a\.bin" \(byte 3512\); delete it and download it again$/);
});

hostile('archives', 'a tar with no end-of-archive blocks (cut exactly between members)', async () => {
  await refused(tgz([{ name: 'set/a.txt', data: 'a' }], false),
    'truncated tar: the archive ends without its end-of-archive blocks (byte 1024); delete it and download it again');
});

hostile('archives', 'a text file named .tgz', async () => {
  await refused(Buffer.from('<html>404 not found</html>\n'),
    'not a valid .tgz (gzip: incorrect header check); the file is truncated or corrupt: delete it and download it again');
});

hostile('archives', 'gzip of random bytes (not a tar)', async () => {
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
  await refused(zlib.gzipSync(bytes), /^not a tar archive or corrupt tar header at byte 0 \(checksum (\d+|unreadable) != \d+\); delete it and download it again$/);
});

hostile('archives', 'a member declaring 1 TiB in a tiny archive (base-256 size)', async () => {
  await refused([{ name: 'set/huge.bin', data: 'tiny', declaredSize: 2 ** 40 }],
    /^truncated tar: the archive ends inside "set\/huge\.bin" \(byte \d+\); delete it and download it again$/);
});

hostile('archives', 'a pax record whose length runs past the header', async () => {
  const bad = Buffer.from('999 path=set/x\n');
  const members = tar([{ name: 'set/x', data: 'x' }]);
  const header = Buffer.concat([tarHeaderFor('PaxHeader/x', 'x', bad.length), bad, Buffer.alloc(512 - bad.length)]);
  await refused(zlib.gzipSync(Buffer.concat([header, members])), 'entry "PaxHeader/x": corrupt pax record at byte 0 of the extended header');
});

hostile('archives', 'a 2 MiB pax header (never held in memory)', async () => {
  await refused([{ name: 'set/x', pax: { comment: 'c'.repeat(2 * 1024 * 1024) }, data: 'x' }],
    'entry "PaxHeader/x": extended header of 2097169 bytes refused (at most 1048576)');
});

hostile('archives', 'a pax size record that is not a number', async () => {
  await refused([{ name: 'set/x', pax: { size: '12abc' }, data: 'x' }], 'entry "PaxHeader/x": bad pax size "12abc"');
});

hostile('archives', 'an archive with no members', async () => {
  await refused(tgz([]), 'the archive is empty');
});

hostile('archives', 'the destination already exists: refused, and left as it was', async () => {
  const { dir, cleanup } = tempDir('siamese-arc-');
  try {
    const file = path.join(dir, 'ok.tgz');
    fs.writeFileSync(file, tgz([{ name: 'set/a.txt', data: 'new' }]));
    fs.mkdirSync(path.join(dir, 'dest'));
    fs.writeFileSync(path.join(dir, 'dest', 'mine.txt'), 'mine');
    await assert.rejects(extractTarGz(file, path.join(dir, 'dest')), new RegExp(`^Error: extractTarGz: ${path.join(dir, 'dest')} already exists; remove it or extract elsewhere$`));
    assert.deepEqual(snapshotTree(dir), ['dir dest', 'file dest/mine.txt 4', `file ok.tgz ${fs.statSync(file).size}`]);
  } finally {
    cleanup();
  }
});

hostile('archives', 'setuid, setgid and sticky bits are dropped; folders stay usable', async () => {
  const { dest, cleanup } = await extracted([{ name: 'set/', type: '5', mode: 0o1000 }, { name: 'set/run.sh', data: '#!/bin/sh\n', mode: 0o6755 }]);
  try {
    assert.equal(fs.statSync(path.join(dest, 'set', 'run.sh')).mode & 0o7777, 0o755);
    assert.equal(fs.statSync(path.join(dest, 'set')).mode & 0o7700, 0o700);
  } finally {
    cleanup();
  }
});

hostile('archives', 'long LFW-like names through the ustar prefix, a GNU L record and a pax path all extract correctly', async () => {
  const person = `${'Very_Long_Person_Name_'.repeat(3)}X`;
  const long = `set/${person}`;
  const { dest, cleanup, result } = await extracted([
    { name: `${long}/${person}_0001.jpg`, prefixSplit: long.length, data: 'one' },
    { name: 'ignored', gnuLongName: `${long}/${person}_0002.jpg`, data: 'two' },
    { name: 'ignored-too', pax: { path: `${long}/${person}_0003.jpg` }, data: 'three' },
    { name: 'set/dir-twice/', type: '5' },
    { name: 'set/dir-twice/', type: '5' },
  ]);
  try {
    assert.deepEqual(fs.readdirSync(path.join(dest, long)).sort().map((f) => f.slice(-8)), ['0001.jpg', '0002.jpg', '0003.jpg']);
    assert.equal(fs.readFileSync(path.join(dest, long, `${person}_0003.jpg`), 'utf8'), 'three');
    assert.deepEqual([result.files, result.bytes], [3, 11]);
    assert.deepEqual(snapshotTree(dest).filter((l) => /tmp|partial/.test(l)), [], 'no temporary names left');
  } finally {
    cleanup();
  }
});

hostile('archives', 'issue 14 #3: a 192 MiB member is streamed to disk, never held whole (exact peak RSS of a child process)', async () => {
  const { dir, cleanup } = tempDir('siamese-arc-');
  try {
    const size = 192 * 1024 * 1024;
    const file = path.join(dir, 'big.tgz');
    await zerosTgz(file, 'set/zeros.bin', size);
    const { growth } = extractionPeakRss(file, path.join(dir, 'dest'));
    assert.equal(fs.statSync(path.join(dir, 'dest', 'set', 'zeros.bin')).size, size);
    assert.ok(growth < size / 2, `peak RSS rose by ${(growth / 2 ** 20).toFixed(1)} MiB while extracting a ${size / 2 ** 20} MiB member`);
  } finally {
    cleanup();
  }
});

// ---- downloads: fetchDataset ----------------------------------------------------------------------

let server: http.Server;
let base = '';
const served = new Map<string, Buffer>();
before(async () => {
  server = http.createServer((req, res) => {
    const body = served.get(req.url ?? '');
    if (!body) res.writeHead(404).end('not here');
    else res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
}));

/** An unverified source (like LFW deep-funneled): no published checksum, folder `set`. */
const unverified = (urlPath = '/none.tgz'): ArchiveSource => ({ file: 'set.tgz', url: `${base}${urlPath}`, sha256: null, folder: 'set' });
const quiet = { progress: 'none' as const, retryDelayMs: 0, timeoutMs: 5000, retries: 0, log: (): void => undefined };

let genuineCache: Buffer | null = null;
/** A small genuine dataset archive: set/<Person>/<Person>_000N.jpg with real JPEGs. */
async function genuine(): Promise<Buffer> {
  if (!genuineCache) {
    const members: TarMember[] = [{ name: 'set/', type: '5', mode: 0o755 }];
    for (const person of ['Ann_Lee', 'Bo_Chen']) {
      members.push({ name: `set/${person}/`, type: '5', mode: 0o755 });
      for (let i = 1; i <= 2; i++) members.push({ name: `set/${person}/${person}_000${i}.jpg`, data: await solidImage(8, 8, [i * 40, 90, 140]) });
    }
    genuineCache = tgz(members);
  }
  return genuineCache;
}

hostile('downloads', 'issue 14 #2: a failed --archive (not this dataset) records no checksum; the genuine archive is then accepted', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const wrong = path.join(dir, 'wrong.tgz');
    fs.writeFileSync(wrong, tgz([{ name: 'other/readme.txt', data: 'not faces' }]));
    const home = path.join(dir, 'home');
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir: home, archive: wrong }),
      new RegExp(`^DownloadError: ${wrong}: expected a top-level folder set/ in the archive, found other$`));
    assert.deepEqual(fs.readdirSync(home), [], 'no checksum record, no folder, no staging');
    const good = path.join(dir, 'set.tgz');
    fs.writeFileSync(good, await genuine());
    const r = await fetchDataset(unverified(), { ...quiet, dir: home, archive: good });
    assert.deepEqual([r.extracted, r.sha256], [true, sha(await genuine())]);
    assert.equal(fs.readFileSync(path.join(home, 'set.tgz.sha256'), 'utf8'), `${sha(await genuine())}  set.tgz\n`);
  } finally {
    cleanup();
  }
});

hostile('downloads', 'issue 14 #2: a truncated --archive records no checksum; the genuine archive is then accepted', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const cut = path.join(dir, 'cut.tgz');
    const whole = await genuine();
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.7)));
    const home = path.join(dir, 'home');
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir: home, archive: cut }),
      new RegExp(`^ArchiveError: ${cut}: not a valid \\.tgz \\(gzip: unexpected end of file\\); the file is truncated or corrupt: delete it and download it again$`));
    assert.deepEqual(fs.readdirSync(home), []);
    const good = path.join(dir, 'set.tgz');
    fs.writeFileSync(good, whole);
    const r = await fetchDataset(unverified(), { ...quiet, dir: home, archive: good });
    assert.equal(r.extracted, true);
    assert.deepEqual(fs.readdirSync(path.join(r.root)).sort(), ['Ann_Lee', 'Bo_Chen']);
  } finally {
    cleanup();
  }
});

hostile('downloads', 'a checksum recorded by an earlier success is kept when a later --archive fails', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const good = path.join(dir, 'set.tgz');
    fs.writeFileSync(good, await genuine());
    const home = path.join(dir, 'home');
    const first = await fetchDataset(unverified(), { ...quiet, dir: home, archive: good });
    const record = fs.readFileSync(path.join(home, 'set.tgz.sha256'), 'utf8');
    fs.rmSync(first.root, { recursive: true });
    const other = path.join(dir, 'other.tgz');
    fs.writeFileSync(other, tgz([{ name: 'set/readme.txt', data: 'x' }]));
    const genuineSha = sha(await genuine());
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir: home, archive: other }),
      (err: Error) => err instanceof ChecksumError && err.message.startsWith(`${other}: SHA-256 mismatch: expected ${genuineSha}`) && err.message.includes('set.tgz.sha256'));
    assert.equal(fs.readFileSync(path.join(home, 'set.tgz.sha256'), 'utf8'), record);
    assert.equal((await fetchDataset(unverified(), { ...quiet, dir: home, archive: good })).extracted, true);
  } finally {
    cleanup();
  }
});

hostile('downloads', '--archive given a folder', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    fs.mkdirSync(path.join(dir, 'lfw.tgz'));
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir: path.join(dir, 'home'), archive: path.join(dir, 'lfw.tgz') }),
      new RegExp(`^DownloadError: --archive ${path.join(dir, 'lfw.tgz')}: ${path.join(dir, 'lfw.tgz')} is a folder, not a \\.tgz file$`));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'home')), []);
  } finally {
    cleanup();
  }
});

hostile('downloads', '--archive naming a missing file', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir: path.join(dir, 'home'), archive: 'nope.tgz' }),
      new RegExp(`^DownloadError: --archive nope\\.tgz: ${path.resolve('nope.tgz')} does not exist$`));
  } finally {
    cleanup();
  }
});

hostile('downloads', '--archive naming an empty file', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    fs.writeFileSync(path.join(dir, 'empty.tgz'), '');
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir: path.join(dir, 'home'), archive: path.join(dir, 'empty.tgz') }),
      new RegExp(`^DownloadError: --archive ${path.join(dir, 'empty.tgz')}: ${path.join(dir, 'empty.tgz')} is empty \\(0 bytes\\); download it again$`));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'home')), []);
  } finally {
    cleanup();
  }
});

hostile('downloads', 'the archive in the data folder is a folder (set.tgz/)', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    fs.mkdirSync(path.join(dir, 'set.tgz'));
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir }),
      new RegExp(`^DownloadError: ${path.join(dir, 'set.tgz')} is a folder, not a \\.tgz file; move it away and run again$`));
    assert.deepEqual(fs.readdirSync(dir), ['set.tgz']);
  } finally {
    cleanup();
  }
});

hostile('downloads', 'the archive in the data folder is empty (0 bytes)', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    fs.writeFileSync(path.join(dir, 'set.tgz'), '');
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir }),
      new RegExp(`^DownloadError: ${path.join(dir, 'set.tgz')} is empty \\(0 bytes\\); delete it and run again to download it$`));
    assert.deepEqual(fs.readdirSync(dir), ['set.tgz']);
  } finally {
    cleanup();
  }
});

hostile('downloads', 'an unverified download that is an HTML page is deleted, and no checksum is recorded', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    served.set('/html.tgz', Buffer.from('<!doctype html><title>Moved</title>'));
    await assert.rejects(fetchDataset(unverified('/html.tgz'), { ...quiet, dir }),
      new RegExp(`^DownloadError: ${path.join(dir, 'set.tgz')}: not a valid \\.tgz \\(gzip: incorrect header check\\); .*\\n\\(the unverified download was deleted; run again to retry\\)$`));
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    cleanup();
  }
});

hostile('downloads', 'an unverified download holding a symlink is refused whole and deleted', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    served.set('/link.tgz', tgz([{ name: 'set/A/A_0001.jpg', data: 'x' }, { name: 'set/B', type: '2', linkname: '/etc' }]));
    await assert.rejects(fetchDataset(unverified('/link.tgz'), { ...quiet, dir }),
      new RegExp(`^DownloadError: ${path.join(dir, 'set.tgz')}: entry "set/B": symbolic link \\(to "/etc"\\) ${LINKS_REFUSED}\\n`));
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    cleanup();
  }
});

hostile('downloads', 'an archive whose top-level "set" is a file, not a folder', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const file = path.join(dir, 'x.tgz');
    fs.writeFileSync(file, tgz([{ name: 'set', data: 'a file' }]));
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir: path.join(dir, 'home'), archive: file }),
      new RegExp(`^DownloadError: ${file}: the archive's set/ is not a dataset: dataset folder .*set is not a folder$`));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'home')), []);
  } finally {
    cleanup();
  }
});

hostile('downloads', 'an archive whose set/ holds person folders without images is not published', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const file = path.join(dir, 'x.tgz');
    fs.writeFileSync(file, tgz([{ name: 'set/Ann_Lee/', type: '5' }, { name: 'set/Ann_Lee/notes.txt', data: 'x' }, { name: 'set/Bo_Chen/', type: '5' }]));
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir: path.join(dir, 'home'), archive: file }),
      new RegExp(`^DownloadError: ${file}: the archive's set/ is not a dataset: dataset folder .*set has 2 person folders but no images in any of them \\(Ann_Lee/, Bo_Chen/\\); expected .*set/<Person>/<image>$`));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'home')), []);
  } finally {
    cleanup();
  }
});

hostile('downloads', 'an archive that lacks some of the images the source expects is not published', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const file = path.join(dir, 'x.tgz');
    fs.writeFileSync(file, await genuine());
    const src: ArchiveSource = { ...unverified(), expect: { people: 3, images: 6 } };
    await assert.rejects(fetchDataset(src, { ...quiet, dir: path.join(dir, 'home'), archive: file }),
      new RegExp(`^DownloadError: ${file}: the archive's set/ is not a dataset: dataset folder .*set is incomplete: 2 of 3 people, 4 of 6 images$`));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'home')), []);
  } finally {
    cleanup();
  }
});

// ---- folders: "already there" and opening ---------------------------------------------------------

/** fetchDataset with `set/` prepared by `prepare` must refuse, naming the folder and what is missing, and change nothing. */
async function alreadyThereRefused(prepare: (set: string) => Promise<void> | void, what: RegExp): Promise<void> {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const set = path.join(dir, 'set');
    fs.mkdirSync(set);
    await prepare(set);
    const beforeTree = snapshotTree(dir);
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir }), (err: Error) => {
      assert.ok(err instanceof DownloadError, `${err.name}: ${err.message}`);
      assert.ok(err.message.startsWith(`${set} exists but is not a usable dataset: dataset folder ${set} `), err.message);
      assert.match(err.message, what);
      assert.ok(err.message.endsWith(`Delete it (rm -r ${set}) and run again to download or unpack it.`), err.message);
      return true;
    });
    assert.deepEqual(snapshotTree(dir), beforeTree, 'the folder is left as it was');
  } finally {
    cleanup();
  }
}

hostile('folders', 'issue 14 #4: an empty dataset folder is not "already there"', async () => {
  await alreadyThereRefused(() => undefined, /dataset folder .*set is empty \(expected person folders with images: .*set\/<Person>\/<image>\)/);
});

hostile('folders', 'a dataset folder with loose files and no person folders', async () => {
  await alreadyThereRefused((set) => {
    fs.writeFileSync(path.join(set, 'a.jpg'), 'x');
    fs.writeFileSync(path.join(set, 'b.jpg'), 'x');
  }, /set has no person folders \(only 2 files, e\.g\. a\.jpg\); expected .*set\/<Person>\/<image>/);
});

hostile('folders', 'a dataset folder whose person folders hold no images', async () => {
  await alreadyThereRefused((set) => {
    fs.mkdirSync(path.join(set, 'Ann_Lee'));
    fs.mkdirSync(path.join(set, 'Bo_Chen'));
    fs.writeFileSync(path.join(set, 'Bo_Chen', 'notes.txt'), 'x');
  }, /set has 2 person folders but no images in any of them \(Ann_Lee\/, Bo_Chen\/\)/);
});

hostile('folders', 'a partly extracted dataset folder (some person folders empty)', async () => {
  await alreadyThereRefused(async (set) => {
    await makeLfwFolder(set, [2, 1], 8, ['Ann_Lee', 'Bo_Chen']);
    fs.mkdirSync(path.join(set, 'Cy_Dee'));
    fs.mkdirSync(path.join(set, 'Di_Eve'));
  }, /set is incomplete: 2 of 4 person folders have no images \(Cy_Dee\/, Di_Eve\/\)/);
});

hostile('folders', 'a dataset folder with fewer people and images than the source expects', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    await makeLfwFolder(path.join(dir, 'set'), [2, 1], 8);
    const src: ArchiveSource = { ...unverified(), expect: { people: 5749, images: 13233 } };
    await assert.rejects(fetchDataset(src, { ...quiet, dir }), (err: Error) =>
      err instanceof DownloadError && err.message.includes(`dataset folder ${path.join(dir, 'set')} is incomplete: 2 of 5749 people, 3 of 13233 images`));
  } finally {
    cleanup();
  }
});

hostile('folders', 'the dataset "folder" is a file', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    fs.writeFileSync(path.join(dir, 'set'), 'not a folder');
    await assert.rejects(fetchDataset(unverified(), { ...quiet, dir }),
      new RegExp(`^DownloadError: ${path.join(dir, 'set')} exists but is not a usable dataset: dataset folder ${path.join(dir, 'set')} is not a folder\\. Delete it`));
    assert.equal(fs.readFileSync(path.join(dir, 'set'), 'utf8'), 'not a folder');
  } finally {
    cleanup();
  }
});

hostile('folders', 'a complete dataset folder is reused without the network', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    await makeLfwFolder(path.join(dir, 'set'), [2, 1], 8);
    const r = await fetchDataset({ ...unverified('/never-requested'), expect: { people: 2, images: 3 } }, { ...quiet, dir });
    assert.deepEqual([r.extracted, r.downloaded, r.requests], [false, false, 0]);
  } finally {
    cleanup();
  }
});

hostile('folders', 'Dataset.open of an empty folder is refused, naming it', async () => {
  const { dir, cleanup } = tempDir('siamese-ds-');
  try {
    await assert.rejects(Dataset.open(dir, { cache: null }), (err: Error) =>
      err instanceof DatasetError && err.message === `dataset folder ${dir} is empty (expected person folders with images: ${dir}/<Person>/<image>)`);
  } finally {
    cleanup();
  }
});

hostile('folders', 'Dataset.open of a folder whose person folders are all empty is refused, naming them', async () => {
  const { dir, cleanup } = tempDir('siamese-ds-');
  try {
    fs.mkdirSync(path.join(dir, 'Ann_Lee'));
    fs.mkdirSync(path.join(dir, 'Bo_Chen'));
    await assert.rejects(Dataset.open(dir, { cache: null }), (err: Error) =>
      err instanceof DatasetError && err.message === `dataset folder ${dir} has 2 person folders but no images in any of them (Ann_Lee/, Bo_Chen/); expected ${dir}/<Person>/<image>`);
  } finally {
    cleanup();
  }
});

hostile('folders', 'an empty downloaded LFW in the data home is refused, not silently replaced by synthetic faces', async () => {
  const { dir, cleanup } = tempDir('siamese-ds-');
  try {
    fs.mkdirSync(path.join(dir, 'lfw', 'lfw-deepfunneled'), { recursive: true });
    let synth = 0;
    await assert.rejects(resolveData({ env: {}, home: dir, log: null, synthetic: async () => { synth++; return dir; } }),
      new RegExp(`^Error: the data home holds ${path.join(dir, 'lfw', 'lfw-deepfunneled')}, but it is not a usable dataset: dataset folder .* is empty .*; delete it and run \`siamese data lfw\` again, or set LFW_DIR / --dir$`));
    assert.equal(synth, 0);
  } finally {
    cleanup();
  }
});

hostile('folders', 'issue 14 #4: `siamese data lfw` with an empty lfw/ exits 1 naming it (not "already in ... 0 people")', () => {
  const { dir, cleanup } = tempDir('siamese-cli-');
  try {
    fs.mkdirSync(path.join(dir, 'lfw'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'lib', 'cli', 'main.ts'), 'data', 'lfw', '--dir', dir],
      { cwd: root, encoding: 'utf8', env: { ...process.env, SIAMESE_TEST: '1' } });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /already in/);
    assert.ok(r.stderr.includes(`${path.join(dir, 'lfw')} exists but is not a usable dataset: dataset folder ${path.join(dir, 'lfw')} is empty`), r.stderr);
    assert.deepEqual(fs.readdirSync(dir), ['lfw'], 'nothing downloaded');
  } finally {
    cleanup();
  }
});

// ---- helpers ----------------------------------------------------------------------------------------

function tarHeaderFor(name: string, type: string, size: number): Buffer {
  return tar([{ name, type, declaredSize: size }], false).subarray(0, 512);
}
