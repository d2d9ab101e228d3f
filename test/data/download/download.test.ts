import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ArchiveError, ChecksumError, DownloadError, downloadFile, extractTarGz, fetchDataset, LFW_ARCHIVES, parseLfwVariant, type ArchiveSource, type FileSource } from '../../../lib/data';
import { tempDir } from '../fixtures';

// ---- building archives -----------------------------------------------------------------------------
interface Entry { name: string; type?: string; data?: string | Buffer; linkname?: string; mode?: number }

function tarHeader(e: Entry, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name, 0, 100, 'utf8');
  h.write(`${(e.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write(e.type ?? '0', 156);
  h.write(e.linkname ?? '', 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write('        ', 148);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function tgz(entries: readonly Entry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data ?? Buffer.alloc(0);
    blocks.push(tarHeader(e, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks));
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// A dataset archive big enough to be sent in several chunks (incompressible image bytes).
const imageBytes = (n: number, seed: number): Buffer => {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
};
const GOOD_ENTRIES: Entry[] = [
  { name: 'set/', type: '5', mode: 0o755 },
  { name: 'set/Ann_Lee/', type: '5' },
  { name: 'set/Ann_Lee/Ann_Lee_0001.jpg', data: imageBytes(40_000, 1) },
  { name: 'set/Ann_Lee/Ann_Lee_0002.jpg', data: imageBytes(40_000, 2) },
  { name: 'set/Bo_Chen/Bo_Chen_0001.jpg', data: imageBytes(40_000, 3), mode: 0o4755 },
];
const GOOD = tgz(GOOD_ENTRIES);
const TRUNCATED = GOOD.subarray(0, Math.floor(GOOD.length * 0.6));

// ---- the server ----------------------------------------------------------------------------------
interface Seen { url: string; range?: string }
let server: http.Server;
let base = '';
const seen: Seen[] = [];
const flaky = new Map<string, number>();

function sendRanged(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, ranges = true): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (ranges && m) {
    const start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'accept-ranges': 'bytes' });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': body.length, ...(ranges ? { 'accept-ranges': 'bytes' } : {}) });
  res.end(body);
}

before(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    seen.push({ url, range: req.headers.range });
    const route = url.split('?')[0];
    const archive = (name: string): Buffer | null => ({
      '/good.tgz': GOOD, '/truncated.tgz': TRUNCATED,
      '/slip.tgz': tgz([{ name: 'set/ok.txt', data: 'ok' }, { name: 'set/../../evil.txt', data: 'pwned' }]),
    } as Record<string, Buffer>)[name] ?? null;
    if (route === '/redirect') {
      res.writeHead(302, { location: '/hop' }).end();
    } else if (route === '/hop') {
      res.writeHead(307, { location: `${base}/good.tgz` }).end();
    } else if (route === '/norange.tgz') {
      sendRanged(req, res, GOOD, false);
    } else if (route.startsWith('/flaky')) {
      // First request: headers for the whole file, 45 % of the body, then the connection drops.
      const n = flaky.get(url) ?? 0;
      flaky.set(url, n + 1);
      if (n === 0) {
        res.writeHead(200, { 'content-length': GOOD.length, 'accept-ranges': 'bytes' });
        res.write(GOOD.subarray(0, Math.floor(GOOD.length * 0.45)), () => setTimeout(() => res.socket?.destroy(), 20));
      } else {
        sendRanged(req, res, GOOD);
      }
    } else if (route.startsWith('/stall')) {
      // First request: a third of the body, then silence with the connection left open.
      const n = flaky.get(url) ?? 0;
      flaky.set(url, n + 1);
      if (n === 0) {
        res.writeHead(200, { 'content-length': GOOD.length, 'accept-ranges': 'bytes' });
        res.write(GOOD.subarray(0, Math.floor(GOOD.length / 3)));
      } else {
        sendRanged(req, res, GOOD);
      }
    } else if (route.startsWith('/busy')) {
      const n = flaky.get(url) ?? 0;
      flaky.set(url, n + 1);
      if (n === 0) res.writeHead(503, { 'retry-after': '0' }).end('try later');
      else sendRanged(req, res, GOOD);
    } else if (archive(route)) {
      sendRanged(req, res, archive(route) as Buffer);
    } else {
      res.writeHead(404).end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
}));

const source = (urlPath: string, sha256: string | null = sha(GOOD), file = 'set.tgz'): ArchiveSource => ({ file, url: `${base}${urlPath}`, sha256, folder: 'set' });
const quiet = { progress: 'none' as const, retryDelayMs: 0, timeoutMs: 5000 };

function requestsSince(mark: number): Seen[] {
  return seen.slice(mark);
}

function assertGoodSet(root: string): void {
  assert.ok(fs.readFileSync(path.join(root, 'Ann_Lee', 'Ann_Lee_0002.jpg')).equals(imageBytes(40_000, 2)));
  assert.ok(fs.readFileSync(path.join(root, 'Bo_Chen', 'Bo_Chen_0001.jpg')).equals(imageBytes(40_000, 3)));
  assert.equal(fs.statSync(path.join(root, 'Bo_Chen', 'Bo_Chen_0001.jpg')).mode & 0o7000, 0, 'no setuid bit');
}

// ---- tests -----------------------------------------------------------------------------------------
test('a good archive: redirects followed, checksum verified, unpacked atomically; then reused without any request', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const lines: string[] = [];
    const mark = seen.length;
    const r = await fetchDataset(source('/redirect'), { ...quiet, dir, log: (l) => void lines.push(l) });
    assert.deepEqual(requestsSince(mark).map((s) => s.url), ['/redirect', '/hop', '/good.tgz']);
    assert.equal(r.root, path.join(dir, 'set'));
    assert.deepEqual([r.verified, r.downloaded, r.extracted, r.sha256], [true, true, true, sha(GOOD)]);
    assertGoodSet(r.root);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['set', 'set.tgz'], 'no .part, staging or temporary folders left');
    assert.ok(lines.some((l) => /SHA-256 verified/.test(l)));

    const mark2 = seen.length;
    const again = await fetchDataset(source('/redirect'), { ...quiet, dir, log: () => undefined });
    assert.deepEqual([again.requests, again.downloaded, again.extracted, requestsSince(mark2).length], [0, false, false, 0]);

    // The folder gone but the archive kept: verified and unpacked again, still without the network.
    fs.rmSync(r.root, { recursive: true });
    const mark3 = seen.length;
    const third = await fetchDataset(source('/redirect'), { ...quiet, dir, log: () => undefined });
    assert.deepEqual([third.downloaded, third.extracted, third.verified, requestsSince(mark3).length], [false, true, true, 0]);
    assertGoodSet(third.root);
  } finally {
    cleanup();
  }
});

test('a truncated download fails its checksum and leaves nothing behind', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    await assert.rejects(fetchDataset(source('/truncated.tgz'), { ...quiet, dir, log: () => undefined }),
      (err: Error) => err instanceof ChecksumError && err.message.includes(sha(TRUNCATED)) && err.message.includes(sha(GOOD)) && /deleted/.test(err.message));
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    cleanup();
  }
});

test('a truncated archive with no known checksum fails to unpack, and the unverified download is not kept', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    await assert.rejects(fetchDataset(source('/truncated.tgz', null), { ...quiet, dir, log: () => undefined }), /truncated or corrupt|truncated tar/);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    cleanup();
  }
});

test('a wrong checksum is refused: the file is deleted and the message names both hashes and the manual route', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const wrong = 'f'.repeat(64);
    await assert.rejects(fetchDataset(source('/good.tgz', wrong), { ...quiet, dir, log: () => undefined }), (err: Error) =>
      err instanceof ChecksumError && err.message.includes(wrong) && err.message.includes(sha(GOOD)) && err.message.includes(path.join(dir, 'set.tgz')));
    assert.deepEqual(fs.readdirSync(dir), []);
    // A local archive with the wrong checksum is refused too, and left where it was.
    const local = path.join(dir, 'mine.tgz');
    fs.writeFileSync(local, TRUNCATED);
    await assert.rejects(fetchDataset(source('/good.tgz'), { ...quiet, dir, archive: local, log: () => undefined }), ChecksumError);
    assert.deepEqual(fs.readdirSync(dir), ['mine.tgz']);
  } finally {
    cleanup();
  }
});

test('tar-slip archives are refused whole: ../, absolute paths, links (any), devices and FIFOs', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside);
    const cases: Array<[string, Entry[], RegExp]> = [
      ['dotdot', [{ name: 'set/a.txt', data: 'a' }, { name: 'set/../../evil.txt', data: 'x' }], /entry "set\/\.\.\/\.\.\/evil\.txt": path with a '\.\.' component refused$/],
      ['absolute', [{ name: 'set/a.txt', data: 'a' }, { name: `${outside}/abs.txt`, data: 'x' }], /: entry ".*\/abs\.txt": absolute path refused$/],
      ['symlink-out', [{ name: 'set/link', type: '2', linkname: '../../outside' }], /entry "set\/link": symbolic link \(to "\.\.\/\.\.\/outside"\) refused: dataset archives hold only files and folders$/],
      ['symlink-abs', [{ name: 'set/link', type: '2', linkname: outside }], /entry "set\/link": symbolic link \(to ".*outside"\) refused/],
      ['write-through-link', [{ name: 'set/l', type: '2', linkname: '.' }, { name: 'set/m', type: '2', linkname: 'l/../..' }, { name: 'set/m/evil.txt', data: 'x' }],
        /entry "set\/l": symbolic link \(to "\."\) refused/],
      ['hardlink-out', [{ name: 'set/h', type: '1', linkname: '../etc/passwd' }], /entry "set\/h": hard link \(to "\.\.\/etc\/passwd"\) refused/],
      ['fifo', [{ name: 'set/pipe', type: '6' }], /entry "set\/pipe": FIFO \(named pipe\) refused/],
      ['chardev', [{ name: 'set/null', type: '3' }], /entry "set\/null": character device refused/],
    ];
    for (const [name, entries, pattern] of cases) {
      const archive = path.join(dir, `${name}.tgz`);
      fs.writeFileSync(archive, tgz(entries));
      const dest = path.join(dir, 'out', name);
      await assert.rejects(extractTarGz(archive, dest), (err: Error) => err instanceof ArchiveError && pattern.test(err.message), name);
      assert.equal(fs.existsSync(dest), false, `${name}: nothing published`);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'out')), [], `${name}: temporary folder removed`);
    }
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.equal(fs.existsSync(path.join(dir, 'evil.txt')), false);
    assert.equal(fs.existsSync(path.join(path.dirname(dir), 'evil.txt')), false);

    // Over HTTP, as the downloader would meet it.
    const home = path.join(dir, 'home');
    await assert.rejects(fetchDataset(source('/slip.tgz', null), { ...quiet, dir: home, log: () => undefined }), /'\.\.' component refused/);
    assert.equal(fs.existsSync(path.join(home, 'set')), false);
  } finally {
    cleanup();
  }
});

test('a connection dropped mid-transfer is resumed with an HTTP Range request', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const lines: string[] = [];
    const mark = seen.length;
    const r = await fetchDataset(source('/flaky.tgz?a'), { ...quiet, dir, log: (l) => void lines.push(l) });
    const reqs = requestsSince(mark);
    assert.equal(reqs.length, 2);
    assert.equal(reqs[0].range, undefined);
    const m = /^bytes=(\d+)-$/.exec(reqs[1].range ?? '');
    assert.ok(m && Number(m[1]) > 0 && Number(m[1]) < GOOD.length, `second request resumes: ${reqs[1].range}`);
    assert.ok(lines.some((l) => /transfer interrupted .* resuming \(retry 1 of 4\)/.test(l)), lines.join('\n'));
    assert.equal(r.verified, true);
    assertGoodSet(r.root);
  } finally {
    cleanup();
  }
});

test('a server error (503) is retried; with no retries left the error keeps the partial file for next time', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const r = await fetchDataset(source('/busy.tgz?a'), { ...quiet, dir, log: () => undefined });
    assert.equal(r.verified, true);

    const dir2 = path.join(dir, 'second');
    await assert.rejects(fetchDataset(source('/flaky.tgz?b'), { ...quiet, dir: dir2, retries: 0, log: () => undefined }),
      (err: Error) => err instanceof DownloadError && /are kept in .*set\.tgz\.part; the next run resumes/.test(err.message));
    const partSize = fs.statSync(path.join(dir2, 'set.tgz.part')).size;
    assert.ok(partSize > 0 && partSize < GOOD.length);
    // The next run resumes from the part.
    const mark = seen.length;
    const again = await fetchDataset(source('/flaky.tgz?b'), { ...quiet, dir: dir2, log: () => undefined });
    assert.deepEqual(requestsSince(mark).map((s) => s.range), [`bytes=${partSize}-`]);
    assertGoodSet(again.root);
  } finally {
    cleanup();
  }
});

test('a transfer that stalls hits the idle timeout and is resumed', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const lines: string[] = [];
    const mark = seen.length;
    const r = await fetchDataset(source('/stall.tgz'), { ...quiet, timeoutMs: 300, dir, log: (l) => void lines.push(l) });
    assert.ok(lines.some((l) => /no data for 0\.3 s.*resuming/.test(l)), lines.join('\n'));
    assert.deepEqual(requestsSince(mark).map((s) => s.range), [undefined, `bytes=${Math.floor(GOOD.length / 3)}-`]);
    assertGoodSet(r.root);
  } finally {
    cleanup();
  }
});

test('a server that ignores Range makes the download start over, still verified', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    fs.writeFileSync(path.join(dir, 'set.tgz.part'), Buffer.from('garbage that must not survive'));
    const lines: string[] = [];
    const r = await fetchDataset(source('/norange.tgz'), { ...quiet, dir, log: (l) => void lines.push(l) });
    assert.ok(lines.some((l) => /does not support resuming/.test(l)));
    assert.equal(r.verified, true);
    assertGoodSet(r.root);
  } finally {
    cleanup();
  }
});

test('no published checksum: the download is reported unverified and its SHA-256 recorded and checked next time', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const lines: string[] = [];
    const r = await fetchDataset(source('/good.tgz', null), { ...quiet, dir, log: (l) => void lines.push(l) });
    assert.equal(r.verified, false);
    assert.ok(lines.some((l) => /UNVERIFIED: no published checksum/.test(l)));
    assert.ok(lines.some((l) => l.includes(sha(GOOD))));
    assert.equal(fs.readFileSync(path.join(dir, 'set.tgz.sha256'), 'utf8'), `${sha(GOOD)}  set.tgz\n`);
    // The archive is swapped for another one: the recorded checksum catches it.
    fs.rmSync(r.root, { recursive: true });
    fs.writeFileSync(path.join(dir, 'set.tgz'), tgz([{ name: 'set/x.txt', data: 'other' }]));
    await assert.rejects(fetchDataset(source('/good.tgz', null), { ...quiet, dir, log: () => undefined }), /recorded in .*set\.tgz\.sha256/);
  } finally {
    cleanup();
  }
});

test('offline: the error says which file to download by hand, from where, and where to put it', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const src: ArchiveSource = { ...LFW_ARCHIVES.original, url: `http://127.0.0.1:${port}/files/5976018` };
    await assert.rejects(fetchDataset(src, { ...quiet, dir, retries: 1, log: () => undefined }), (err: Error) =>
      err instanceof DownloadError && /ECONNREFUSED/.test(err.message) && /are you offline\?/.test(err.message) &&
      err.message.includes(src.url) && err.message.includes(path.join(dir, 'lfw.tgz')) && err.message.includes(LFW_ARCHIVES.original.sha256 as string) &&
      /--archive/.test(err.message));
    // A 404 is not retried and says the same.
    const mark = seen.length;
    await assert.rejects(fetchDataset(source('/missing.tgz'), { ...quiet, dir, log: () => undefined }), /HTTP 404[\s\S]*Download it by hand/);
    assert.equal(requestsSince(mark).length, 1);
  } finally {
    cleanup();
  }
});

test('progress is reported in order up to the whole size; variants are checked', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-');
  try {
    const ticks: Array<[number, number | null]> = [];
    await fetchDataset(source('/good.tgz'), { ...quiet, dir, progress: (got, total) => void ticks.push([got, total]), log: () => undefined });
    assert.ok(ticks.length >= 2);
    assert.deepEqual(ticks.at(-1), [GOOD.length, GOOD.length]);
    assert.ok(ticks.every(([got], i) => i === 0 || got >= ticks[i - 1][0]));
    assert.equal(parseLfwVariant('deepfunneled'), 'deepfunneled');
    assert.throws(() => parseLfwVariant('deep'), /variant must be one of original, funneled, deepfunneled, got "deep"/);
    assert.equal(LFW_ARCHIVES.deepfunneled.sha256, null);
  } finally {
    cleanup();
  }
});

test('downloadFile: a single file, resumed after a dropped connection, MD5-checked, its SHA-256 recorded then checked', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-file-');
  try {
    const md5 = createHash('md5').update(GOOD).digest('hex');
    const src = (route: string, sum = md5): FileSource => ({ file: 'w.h5', url: `${base}${route}`, md5: sum, sha256: null });
    const lines: string[] = [];
    const mark = seen.length;
    const r = await downloadFile(src('/flaky-file'), { ...quiet, dir, retryDelayMs: 1, log: (l) => void lines.push(l) });
    assert.equal(r.downloaded, true);
    assert.deepEqual([r.path, r.md5, r.sha256], [path.join(dir, 'w.h5'), md5, sha(GOOD)]);
    assert.ok(fs.readFileSync(r.path).equals(GOOD));
    assert.ok(requestsSince(mark).some((q) => q.range !== undefined), 'the second request resumed with a Range');
    assert.equal(fs.existsSync(`${r.path}.part`), false);
    assert.equal(fs.readFileSync(path.join(dir, 'w.h5.sha256'), 'utf8'), `${sha(GOOD)}  w.h5\n`);
    assert.ok(lines.some((l) => /w\.h5: MD5 verified/.test(l)));
    // Already there: verified again, not downloaded.
    const again = await downloadFile(src('/flaky-file'), { ...quiet, dir, log: () => undefined });
    assert.equal(again.downloaded, false);
    assert.equal(again.requests, 0);
    // Another file under the same name: the recorded SHA-256 catches it even when its MD5 was made to match.
    fs.writeFileSync(r.path, TRUNCATED);
    const truncatedMd5 = createHash('md5').update(TRUNCATED).digest('hex');
    await assert.rejects(downloadFile(src('/x', truncatedMd5), { ...quiet, dir, log: () => undefined }), /SHA-256 mismatch[\s\S]*recorded in .*w\.h5\.sha256/);
  } finally {
    cleanup();
  }
});

test('downloadFile: a download with the wrong MD5 is deleted and named; a local --file is verified where it is', async () => {
  const { dir, cleanup } = tempDir('siamese-dl-file-');
  try {
    const wrong: FileSource = { file: 'w.h5', url: `${base}/good.tgz`, md5: '0'.repeat(32), sha256: null };
    await assert.rejects(downloadFile(wrong, { ...quiet, dir, log: () => undefined }), (err: Error) =>
      err instanceof ChecksumError && err.algorithm === 'MD5' && err.message.startsWith(`${base}/good.tgz: MD5 mismatch: expected ${'0'.repeat(32)}`) &&
      /The download was deleted[\s\S]*--file \/path\/to\/w\.h5/.test(err.message));
    assert.deepEqual(fs.readdirSync(dir), [], 'no partial or unverified file is kept');
    const local = path.join(dir, 'copy.h5');
    fs.writeFileSync(local, GOOD);
    const ok: FileSource = { ...wrong, md5: createHash('md5').update(GOOD).digest('hex') };
    const r = await downloadFile(ok, { ...quiet, dir: path.join(dir, 'home'), file: local, log: () => undefined });
    assert.deepEqual([r.path, r.downloaded, r.requests], [local, false, 0]);
    await assert.rejects(downloadFile(ok, { ...quiet, dir, file: dir, log: () => undefined }), /--file .* is a folder, not the file w\.h5/);
  } finally {
    cleanup();
  }
});
