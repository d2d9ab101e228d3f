/**
 * Downloads LFW (or any `.tgz` dataset described by an {@link ArchiveSource}) and unpacks it safely.
 *
 * - Sources: the figshare mirrors scikit-learn uses, each with its SHA-256 (see ../shared LFW.md), and the
 *   deep-funneled archive from the UMass site, which has no published checksum: that download is reported
 *   as unverified and its SHA-256 is printed and, once the archive has unpacked into a complete dataset,
 *   written next to it (`<archive>.sha256`); later runs check against that record (trust on first use). A
 *   wrong or truncated archive never becomes the record.
 * - Transfer: to `<archive>.part`, resumed with an HTTP Range request after an interruption (within one
 *   run, with retries, and across runs), redirects followed, connect/idle timeouts; the archive gets its
 *   final name only after its checksum matched (atomic rename), so a partial file is never trusted.
 * - Progress: a live bar on a terminal (bytes, %, rate, ETA), a line every 10 % otherwise.
 * - Cache: an extracted folder is reused without touching the network, if it is a complete dataset (an
 *   empty or partial folder is refused, saying what is missing); an archive already in place (or given
 *   with `archive`) is verified and unpacked without downloading.
 * - Extraction: {@link extractTarGz} (files and folders only: no links, devices, absolute paths or `..`),
 *   into a temporary folder that is checked to be a complete dataset, then renamed into place.
 * - Offline: the error says which file to fetch by hand, from where, and where to put it.
 * - Single files ({@link downloadFile}, e.g. model weights): the same transfer, resume and offline help, checked
 *   against a published MD5 and/or SHA-256 before the file gets its name; the SHA-256 of the first verified
 *   copy is recorded beside it (`<file>.sha256`) and checked on later runs; `--file PATH` uses a local copy.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { checkDatasetFolder, DatasetError } from '../dataset';
import { formatBytes, formatDuration } from '../../util/format';
import { writeFileAtomicSafe } from '../../util/files';
import { dataHome } from '../paths';
import { extractTarGz } from './tar';

/** A downloadable archive that unpacks to one top-level folder. */
export interface ArchiveSource {
  /** The archive's file name on disk, e.g. `lfw.tgz`. */
  readonly file: string;
  readonly url: string;
  /** Expected SHA-256 (lower-case hex), or null when none is published. */
  readonly sha256: string | null;
  /** The top-level folder the archive unpacks to, e.g. `lfw`. */
  readonly folder: string;
  /** Rough size for messages, e.g. `~180 MB`. */
  readonly approxSize?: string;
  /** How many people (folders with images) and images a complete copy holds; fewer is refused as partial. */
  readonly expect?: { readonly people: number; readonly images: number };
}

/** LFW's image variants. */
export type LfwVariant = 'original' | 'funneled' | 'deepfunneled';

export const LFW_VARIANTS: readonly LfwVariant[] = ['original', 'funneled', 'deepfunneled'];

/** Every LFW variant holds the same 13,233 images of 5,749 people. */
const LFW_COUNTS = { people: 5749, images: 13233 };

/**
 * Where each LFW variant comes from (figshare mirrors with checksums; deep-funneled from UMass, unverified).
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export const LFW_ARCHIVES: Readonly<Record<LfwVariant, ArchiveSource>> = Object.freeze({
  original: {
    file: 'lfw.tgz',
    url: 'https://ndownloader.figshare.com/files/5976018',
    sha256: '055f7d9c632d7370e6fb4afc7468d40f970c34a80d4c6f50ffec63f5a8d536c0',
    folder: 'lfw',
    expect: LFW_COUNTS,
    approxSize: '~180 MB',
  },
  funneled: {
    file: 'lfw-funneled.tgz',
    url: 'https://ndownloader.figshare.com/files/5976015',
    sha256: 'b47c8422c8cded889dc5a13418c4bc2abbda121092b3533a83306f90d900100a',
    folder: 'lfw_funneled',
    expect: LFW_COUNTS,
    approxSize: '~230 MB',
  },
  deepfunneled: {
    file: 'lfw-deepfunneled.tgz',
    url: 'http://vis-www.cs.umass.edu/lfw/lfw-deepfunneled.tgz',
    sha256: null,
    folder: 'lfw-deepfunneled',
    expect: LFW_COUNTS,
    approxSize: '~110 MB',
  },
});

/** Checks a variant name; the error lists the valid ones. */
export function parseLfwVariant(value: string, what = 'variant'): LfwVariant {
  if ((LFW_VARIANTS as readonly string[]).includes(value)) return value as LfwVariant;
  throw new RangeError(`${what} must be one of ${LFW_VARIANTS.join(', ')}, got ${JSON.stringify(value)}`);
}

/** How progress is shown: a live bar, occasional lines, nothing, or your own callback. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none' | ((received: number, total: number | null) => void);

/** Options for {@link fetchDataset} and {@link downloadLfw}. */
export interface DownloadOptions {
  /** Where archives and extracted folders go (default `<data home>/lfw`). */
  dir?: string;
  /** Use this local archive instead of downloading (still verified). */
  archive?: string;
  /** Socket connect/idle timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Further attempts after an interrupted transfer, each resuming where the last stopped (default 4). */
  retries?: number;
  /** Delay before retry k is k x this (default 1 000 ms). */
  retryDelayMs?: number;
  /** Default `'auto'`: a bar on a terminal (stderr), lines otherwise. */
  progress?: ProgressMode;
  /** Where messages go (default: stderr). */
  log?: (line: string) => void;
}

/** What {@link fetchDataset} did. */
export interface FetchResult {
  /** The extracted dataset folder (`<dir>/<folder>`). */
  readonly root: string;
  /** The archive on disk, or null when the folder was already there. */
  readonly archive: string | null;
  /** The archive's SHA-256 when it was read in this call. */
  readonly sha256: string | null;
  /** True when the checksum matched a published value (false: unverified or not checked). */
  readonly verified: boolean;
  readonly downloaded: boolean;
  readonly extracted: boolean;
  /** Number of HTTP requests made (0 on a cache hit). */
  readonly requests: number;
}

/** A download that could not complete; the message says how to get the file by hand. */
export class DownloadError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** A checksum that did not match. */
export class ChecksumError extends Error {
  constructor(readonly file: string, readonly expected: string, readonly actual: string, hint: string, readonly algorithm: 'SHA-256' | 'MD5' = 'SHA-256') {
    super(`${file}: ${algorithm} mismatch: expected ${expected}, got ${actual}. ${hint}`);
    this.name = 'ChecksumError';
  }
}

/**
 * SHA-256 of a file, lower-case hex.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * MD5 and SHA-256 of a file in one read, lower-case hex (MD5 because Keras publishes its weights' MD5s).
 *
 * @see notebooks/04-model-construction.ipynb
 */
export async function hashFile(file: string): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  for await (const chunk of createReadStream(file)) {
    md5.update(chunk as Buffer);
    sha.update(chunk as Buffer);
  }
  return { md5: md5.digest('hex'), sha256: sha.digest('hex') };
}

/** Builds the progress reporter for one transfer. */
function progressReporter(mode: ProgressMode, label: string, log: (line: string) => void): { update(received: number, total: number | null): void; done(): void } {
  if (typeof mode === 'function') return { update: mode, done: () => undefined };
  const resolved = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : mode;
  if (resolved === 'none') return { update: () => undefined, done: () => undefined };
  const t0 = performance.now();
  let start = -1, lastDraw = 0, lastDecile = -1, lastLineAt = t0, drawn = false;
  const describe = (received: number, total: number | null): string => {
    const secs = (performance.now() - t0) / 1000;
    const rate = secs > 0 ? (received - Math.max(start, 0)) / secs : 0;
    const pct = total ? (100 * received) / total : null;
    const eta = total && rate > 0 ? (total - received) / rate : NaN;
    return `${label} ${formatBytes(received)}${total ? ` / ${formatBytes(total)}` : ''}${pct !== null ? ` ${pct.toFixed(1)} %` : ''}` +
      ` ${formatBytes(rate)}/s${total ? ` ETA ${formatDuration(eta)}` : ''}`;
  };
  return {
    update(received, total) {
      if (start < 0) start = received;
      const now = performance.now();
      if (resolved === 'bar') {
        if (now - lastDraw < 100 && received !== total) return;
        lastDraw = now;
        const width = 24;
        const filled = total ? Math.round((width * received) / total) : 0;
        const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
        process.stderr.write(`\r${bar}${describe(received, total)}\x1b[K`);
        drawn = true;
      } else {
        const decile = total ? Math.floor((10 * received) / total) : -1;
        if ((total && decile > lastDecile) || now - lastLineAt > 30_000) {
          lastDecile = decile;
          lastLineAt = now;
          log(describe(received, total));
        }
      }
    },
    done() {
      if (drawn) process.stderr.write('\n');
    },
  };
}

/** One GET, following redirects; resolves with the final response (any status). */
function httpGet(url: string, headers: Record<string, string>, timeoutMs: number, onRequest: () => void, redirects = 10): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new DownloadError(`bad URL ${JSON.stringify(url)}`));
      return;
    }
    const lib = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : null;
    if (!lib) {
      reject(new DownloadError(`unsupported URL scheme in ${url}`));
      return;
    }
    onRequest();
    let response: http.IncomingMessage | null = null;
    const req = lib.get(parsed, { headers: { 'user-agent': 'siamese-lfw downloader', ...headers } }, (res) => {
      response = res;
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (redirects <= 0) {
          reject(new DownloadError(`too many redirects fetching ${url}`));
          return;
        }
        httpGet(new URL(res.headers.location, parsed).toString(), headers, timeoutMs, onRequest, redirects - 1).then(resolve, reject);
        return;
      }
      resolve(res);
    });
    req.setTimeout(timeoutMs, () => {
      // An idle socket, before or during the body: fail whichever side is waiting, with the reason.
      const err = Object.assign(new Error(`no data for ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' });
      if (response) response.destroy(err);
      req.destroy(err);
    });
    req.on('error', reject);
  });
}

const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'TRUNCATED', 'HTTP_5XX']);

/** A retryable transfer failure. */
class TransferError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/**
 * Downloads `url` to `part`, resuming from `part`'s current size with an HTTP Range request and
 * retrying interrupted transfers. Returns when the server has sent the whole file.
 */
async function downloadToPart(url: string, part: string, options: Required<Pick<DownloadOptions, 'timeoutMs' | 'retries' | 'retryDelayMs'>>,
  progress: ReturnType<typeof progressReporter>, log: (line: string) => void, countRequest: () => void): Promise<void> {
  let attempt = 0;
  for (;;) {
    const offset = await fs.stat(part).then((s) => s.size, () => 0);
    try {
      const res = await httpGet(url, offset > 0 ? { range: `bytes=${offset}-` } : {}, options.timeoutMs, countRequest);
      const status = res.statusCode ?? 0;
      if (status === 416 && offset > 0) {
        // Nothing left to send: the part is already complete (the checksum will tell).
        res.resume();
        return;
      }
      if (status >= 500) {
        res.resume();
        throw new TransferError(`server error HTTP ${status} ${res.statusMessage ?? ''}`.trim(), 'HTTP_5XX');
      }
      if (status !== 200 && status !== 206) {
        res.resume();
        throw new DownloadError(`HTTP ${status} ${res.statusMessage ?? ''} for ${url}`.trim(), `HTTP_${status}`);
      }
      let start = 0;
      let total: number | null = null;
      const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
      if (status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
        if (!m || Number(m[1]) !== offset) {
          res.resume();
          await fs.rm(part, { force: true });
          throw new TransferError(`server answered the resume request with an unexpected range (${res.headers['content-range'] ?? 'none'}); starting over`, 'TRUNCATED');
        }
        start = offset;
        total = m[3] === '*' ? (length !== null ? offset + length : null) : Number(m[3]);
      } else {
        if (offset > 0) log(`the server does not support resuming (no HTTP Range); starting ${path.basename(part)} over`);
        total = length;
      }
      const out = createWriteStream(part, { flags: status === 206 ? 'a' : 'w' });
      let received = start;
      progress.update(received, total);
      try {
        await new Promise<void>((resolve, reject) => {
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            progress.update(received, total);
            if (!out.write(chunk)) {
              res.pause();
              out.once('drain', () => res.resume());
            }
          });
          res.on('end', () => resolve());
          // 'aborted' can come just before the 'error' that says why; let the reason win.
          res.on('aborted', () => setImmediate(() => reject(new TransferError('connection closed by the server mid-transfer', 'ECONNRESET'))));
          res.on('error', (e: NodeJS.ErrnoException) => reject(new TransferError(e.message, e.code ?? 'ECONNRESET')));
          out.on('error', reject);
        });
      } finally {
        await new Promise<void>((resolve) => out.end(() => resolve()));
      }
      const expected = total ?? (length !== null ? start + length : null);
      if (expected !== null && received < expected) {
        throw new TransferError(`connection closed after ${formatBytes(received)} of ${formatBytes(expected)}`, 'TRUNCATED');
      }
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const retryable = err instanceof TransferError || NETWORK_CODES.has(code);
      // Name resolution failures mean "offline": retrying will not help.
      if (!retryable || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || attempt >= options.retries) throw err;
      attempt++;
      const have = await fs.stat(part).then((s) => s.size, () => 0);
      log(`transfer interrupted (${(err as Error).message}) with ${formatBytes(have)} on disk; resuming (retry ${attempt} of ${options.retries})`);
      await new Promise((r) => setTimeout(r, attempt * options.retryDelayMs));
    }
  }
}

/** What to do by hand when a download fails: the URL, the checksum to expect, where to put the file, the flag to pass it with. */
function manualInstructions(source: { file: string; url: string; approxSize?: string }, checksum: string, dest: string, flag: string, after: string): string {
  return [
    `Download it by hand${source.approxSize ? ` (${source.approxSize})` : ''}:`,
    `  ${source.url}`,
    `  ${checksum}`,
    `and put it at`,
    `  ${dest}`,
    `then run the command again (${after}), or pass ${flag} /path/to/${source.file}.`,
  ].join('\n');
}

function archiveInstructions(source: ArchiveSource, archivePath: string): string {
  return manualInstructions(source, source.sha256 ? `expected SHA-256: ${source.sha256}` : '(no published checksum: it will be recorded as unverified)',
    archivePath, '--archive', 'it will be verified and unpacked without downloading');
}

/**
 * Downloads `url` to `part` (resuming what is there), with the progress display; a failure becomes a
 * {@link DownloadError} that says why (offline?), how to get the file by hand (`help`), and what is kept.
 */
async function transfer(file: string, url: string, part: string, options: DownloadOptions, log: (line: string) => void,
  countRequest: () => void, help: string): Promise<void> {
  const resumed = await fs.stat(part).then((s) => s.size, () => 0);
  log(`downloading ${file} from ${url}${resumed ? ` (resuming after ${formatBytes(resumed)})` : ''}`);
  const progress = progressReporter(options.progress ?? 'auto', file, log);
  try {
    await downloadToPart(url, part, {
      timeoutMs: options.timeoutMs ?? 30_000,
      retries: options.retries ?? 4,
      retryDelayMs: options.retryDelayMs ?? 1000,
    }, progress, log, countRequest);
  } catch (err) {
    progress.done();
    const have = await fs.stat(part).then((s) => s.size, () => 0);
    const code = (err as NodeJS.ErrnoException).code ?? '';
    let host = url;
    try {
      host = new URL(url).host;
    } catch {
      // a bad URL: its error says so
    }
    const why = NETWORK_CODES.has(code) || err instanceof TransferError
      ? `could not download ${file} from ${host} (${(err as Error).message}${code && !(err as Error).message.includes(code) ? `, ${code}` : ''}); are you offline?`
      : `could not download ${file}: ${(err as Error).message}`;
    const kept = have > 0 ? `\n(${formatBytes(have)} already downloaded are kept in ${part}; the next run resumes from there.)` : '';
    throw new DownloadError(`${why}\n${help}${kept}`, code || undefined);
  }
  progress.done();
}

/** What {@link verifyArchive} found; `record` is the `.sha256` file to write once the archive has unpacked. */
interface Verified {
  readonly sha256: string;
  readonly verified: boolean;
  readonly record: string | null;
}

/**
 * Verifies an archive against the published checksum or, lacking one, against the `.sha256` recorded
 * earlier. Writes nothing: a first-seen unverified archive gets its record only after a successful unpack.
 */
async function verifyArchive(source: ArchiveSource, file: string, recordDir: string, log: (line: string) => void): Promise<Verified> {
  const actual = await sha256File(file);
  if (source.sha256) {
    if (actual !== source.sha256) {
      throw new ChecksumError(file, source.sha256, actual, 'It is corrupt, truncated or not the right file: delete it and run again to download a fresh copy.');
    }
    return { sha256: actual, verified: true, record: null };
  }
  const record = path.join(recordDir, `${source.file}.sha256`);
  const recorded = await fs.readFile(record, 'utf8').then((t) => t.trim().split(/\s+/)[0], () => null);
  if (recorded) {
    if (recorded !== actual) throw new ChecksumError(file, recorded, actual, `The expected value is the one recorded in ${record} at the first download; if the server's file really changed, delete that record.`);
    log(`${source.file}: no published checksum; matches the SHA-256 recorded at the first download (${record})`);
    return { sha256: actual, verified: false, record: null };
  }
  log(`UNVERIFIED: no published checksum exists for ${source.file} (${source.url}).`);
  log(`  its SHA-256 is ${actual}; it will be recorded in ${record} once the archive has unpacked, so later runs can check it`);
  return { sha256: actual, verified: false, record };
}

/** Writes the checksum of record atomically (the project's atomic writer: no temporary file survives a failure). */
function writeRecord(record: string, sha256: string, file: string): void {
  writeFileAtomicSafe(record, [`${sha256}  ${file}\n`]);
}

/** The archive must be a non-empty file; `flag` names the option it came from (null: found in the data folder). */
async function checkArchiveFile(file: string, flag: string | null, kind = 'a .tgz file'): Promise<boolean> {
  const st = await fs.stat(file).catch(() => null);
  const where = flag ? `${flag}: ${file}` : file;
  if (!st) {
    if (flag) throw new DownloadError(`${where} does not exist`);
    return false;
  }
  if (st.isDirectory()) throw new DownloadError(`${where} is a folder, not ${kind}${flag ? '' : '; move it away and run again'}`);
  if (!st.isFile()) throw new DownloadError(`${where} is not a regular file`);
  if (st.size === 0) throw new DownloadError(`${where} is empty (0 bytes); ${flag ? 'download it again' : 'delete it and run again to download it'}`);
  return true;
}

/** A dataset folder that must be complete (already there, or just unpacked); the DatasetError says what is missing. */
function checkComplete(source: ArchiveSource, folder: string): Promise<unknown> {
  return checkDatasetFolder(folder, { complete: true, expect: source.expect });
}

/**
 * Makes `<dir>/<source.folder>` exist: reuses it if already extracted (and complete), else verifies and
 * unpacks a local archive (`options.archive`, or `<dir>/<source.file>` if present), else downloads the
 * archive first. The checksum of record of an unverified archive is written only after it unpacked into
 * a complete dataset.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export async function fetchDataset(source: ArchiveSource, options: DownloadOptions = {}): Promise<FetchResult> {
  const dir = path.resolve(options.dir ?? path.join(dataHome(), 'lfw'));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const root = path.join(dir, source.folder);
  let requests = 0;
  if (await fs.lstat(root).then(() => true, () => false)) {
    try {
      await checkComplete(source, root);
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      throw new DownloadError(`${root} exists but is not a usable dataset: ${err.message}. Delete it (rm -r ${root}) and run again to download or unpack it.`);
    }
    return { root, archive: null, sha256: null, verified: false, downloaded: false, extracted: false, requests };
  }
  await fs.mkdir(dir, { recursive: true });
  const archivePath = path.join(dir, source.file);
  let archive = archivePath;
  let downloaded = false;
  let checked: Verified | null = null;
  if (options.archive) {
    archive = path.resolve(options.archive);
    await checkArchiveFile(archive, `--archive ${options.archive}`);
  } else if (!(await checkArchiveFile(archivePath, null))) {
    const part = `${archivePath}.part`;
    await transfer(source.file, source.url, part, options, log, () => void requests++, archiveInstructions(source, archivePath));
    // Verify before giving the file its real name: never trust a partial or corrupt download.
    try {
      checked = await verifyArchive(source, part, dir, log);
    } catch (err) {
      await fs.rm(part, { force: true });
      if (err instanceof ChecksumError) {
        throw new ChecksumError(source.url, err.expected, err.actual, `The download was deleted; run again to retry, or fetch it by hand.\n${archiveInstructions(source, archivePath)}`);
      }
      throw err;
    }
    await fs.rename(part, archivePath);
    downloaded = true;
  }
  const { sha256, verified, record } = checked ?? await verifyArchive(source, archive, dir, log);
  if (verified) log(`${path.basename(archive)}: SHA-256 verified`);
  log(`unpacking ${archive} ...`);
  const staging = path.join(dir, `.unpack-${source.folder}-${process.pid}`);
  await fs.rm(staging, { recursive: true, force: true });
  try {
    try {
      const result = await extractTarGz(archive, staging);
      const tops = [...new Set(result.entries.map((e) => e.path.split('/')[0]))];
      if (!tops.includes(source.folder)) {
        throw new DownloadError(`${archive}: expected a top-level folder ${source.folder}/ in the archive, found ${tops.slice(0, 5).join(', ')}`);
      }
      const staged = path.join(staging, source.folder);
      try {
        await checkComplete(source, staged);
      } catch (err) {
        if (!(err instanceof DatasetError)) throw err;
        throw new DownloadError(`${archive}: the archive's ${source.folder}/ is not a dataset: ${err.message.split(staged).join(source.folder)}`);
      }
      await fs.rename(staged, root);
    } catch (err) {
      if (downloaded && !verified) {
        // Nothing vouched for this download; do not keep an archive that does not unpack into the dataset.
        await fs.rm(archivePath, { force: true });
        throw new DownloadError(`${(err as Error).message}\n(the unverified download was deleted; run again to retry)`);
      }
      throw err;
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  // Only now, with the dataset in place, does an unverified archive's checksum become the record.
  if (record) {
    try {
      writeRecord(record, sha256, source.file);
      log(`  SHA-256 ${sha256} recorded in ${record} so later runs can check ${source.file}`);
    } catch (err) {
      log(`warning: could not record the SHA-256 in ${record} (${(err as Error).message}); later runs cannot check ${source.file}`);
    }
  }
  return { root, archive, sha256, verified, downloaded, extracted: true, requests };
}

/**
 * Downloads (or reuses) one LFW variant into `<dir>/<folder>` (default dir `<data home>/lfw`, where the
 * data resolver looks for a downloaded LFW).
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export async function downloadLfw(variant: LfwVariant = 'original', options: DownloadOptions = {}): Promise<FetchResult> {
  return fetchDataset(LFW_ARCHIVES[parseLfwVariant(variant)], options);
}

/** One file to download as it is (no unpacking): model weights, for instance. */
export interface FileSource {
  /** The file's name on disk, e.g. `weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5`. */
  readonly file: string;
  readonly url: string;
  /** The published MD5 (lower-case hex; Keras publishes MD5s for its weights), or null. */
  readonly md5: string | null;
  /** The published SHA-256 (lower-case hex), or null. */
  readonly sha256: string | null;
  /** Rough size for messages, e.g. `~4 MB`. */
  readonly approxSize?: string;
}

/** Options of {@link downloadFile}: those of {@link fetchDataset} but `archive`, plus where and how. */
export interface FileDownloadOptions extends Omit<DownloadOptions, 'archive' | 'dir'> {
  /** The folder the file is downloaded to; its SHA-256 record (`<file>.sha256`) is kept there too. */
  readonly dir: string;
  /** Use this local copy instead of downloading (still verified; not copied). */
  readonly file?: string;
  /** The command-line flag that passes `file`, for messages (default `--file`). */
  readonly flag?: string;
}

/** What {@link downloadFile} did. */
export interface FileFetchResult {
  /** The verified file: the download in `dir`, or the local copy given. */
  readonly path: string;
  readonly md5: string;
  readonly sha256: string;
  readonly downloaded: boolean;
  /** The SHA-256 record written by this call (first verified copy), or null. */
  readonly recorded: string | null;
  /** Number of HTTP requests made. */
  readonly requests: number;
}

/** The checksums a source publishes, for messages. */
function published(source: FileSource): string {
  const sums = [source.md5 ? `MD5 ${source.md5}` : '', source.sha256 ? `SHA-256 ${source.sha256}` : ''].filter(Boolean);
  return sums.length ? `expected ${sums.join(', ')}` : '(no published checksum: its SHA-256 is recorded at the first download)';
}

/**
 * Checks `file` against the published MD5 and SHA-256 of `source` and against the SHA-256 recorded at the
 * first verified copy (`<recordDir>/<source.file>.sha256`). Returns the hashes and the record to write (when
 * there is none yet), writing nothing.
 */
async function verifyFile(source: FileSource, file: string, recordDir: string, hint: string): Promise<{ md5: string; sha256: string; record: string | null }> {
  const { md5, sha256 } = await hashFile(file);
  if (source.md5 && md5 !== source.md5) throw new ChecksumError(file, source.md5, md5, hint, 'MD5');
  if (source.sha256 && sha256 !== source.sha256) throw new ChecksumError(file, source.sha256, sha256, hint);
  const record = path.join(recordDir, `${source.file}.sha256`);
  const recorded = await fs.readFile(record, 'utf8').then((t) => t.trim().split(/\s+/)[0], () => null);
  if (recorded) {
    if (recorded !== sha256) {
      throw new ChecksumError(file, recorded, sha256, `The expected value is the one recorded in ${record} at the first verified copy; if the published file really changed, delete that record.`);
    }
    return { md5, sha256, record: null };
  }
  return { md5, sha256, record };
}

/**
 * Makes a verified copy of one file available: `options.file` if given (verified, used where it is), else
 * `<dir>/<source.file>` if already there (verified), else downloaded to `<dir>/<source.file>.part` (resumable
 * across runs, retried within one) and renamed into place only once its checksums match. The SHA-256 of the
 * first verified copy is recorded in `<dir>/<source.file>.sha256` and checked on later runs. Offline, the
 * error names the URL, the checksum to expect, where to put the file and the flag to pass it with.
 *
 * @see notebooks/04-model-construction.ipynb
 */
export async function downloadFile(source: FileSource, options: FileDownloadOptions): Promise<FileFetchResult> {
  const dir = path.resolve(options.dir);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const flag = options.flag ?? '--file';
  const dest = path.join(dir, source.file);
  const help = manualInstructions(source, published(source), dest, flag, 'it will be verified and used without downloading');
  let requests = 0;
  let file = dest;
  let downloaded = false;
  let checked: { md5: string; sha256: string; record: string | null };
  if (options.file) {
    file = path.resolve(options.file);
    await checkArchiveFile(file, `${flag} ${options.file}`, `the file ${source.file}`);
    checked = await verifyFile(source, file, dir, `It is not ${source.file} from ${source.url}, or it is damaged or truncated: fetch it again.`);
  } else if (await checkArchiveFile(dest, null, `the file ${source.file}`)) {
    checked = await verifyFile(source, dest, dir, 'It is corrupt, truncated or not the right file: delete it and run again to download a fresh copy.');
  } else {
    await fs.mkdir(dir, { recursive: true });
    const part = `${dest}.part`;
    await transfer(source.file, source.url, part, options, log, () => void requests++, help);
    try {
      checked = await verifyFile(source, part, dir, 'The download was deleted.');
    } catch (err) {
      await fs.rm(part, { force: true });
      if (err instanceof ChecksumError) {
        throw new ChecksumError(source.url, err.expected, err.actual, `The download was deleted; run again to retry, or fetch it by hand.\n${help}`, err.algorithm);
      }
      throw err;
    }
    await fs.rename(part, dest);
    downloaded = true;
  }
  const verified = [source.md5 ? 'MD5' : '', source.sha256 ? 'SHA-256' : ''].filter(Boolean).join(' and ');
  if (verified) log(`${path.basename(file)}: ${verified} verified`);
  if (checked.record) {
    try {
      writeRecord(checked.record, checked.sha256, source.file);
      log(`  SHA-256 ${checked.sha256} recorded in ${checked.record} so later runs can check ${source.file}`);
    } catch (err) {
      log(`warning: could not record the SHA-256 in ${checked.record} (${(err as Error).message})`);
      checked = { ...checked, record: null };
    }
  }
  return { path: file, md5: checked.md5, sha256: checked.sha256, downloaded, recorded: checked.record, requests };
}
