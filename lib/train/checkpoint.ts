/**
 * Checkpoint files: one binary file holding a JSON header (epoch, step, rng and dropout counters,
 * history, the tensor index), the raw float32 values of every tensor (model weights, optimizer state)
 * and, since format 2, the SHA-256 of everything before it. Written atomically: a temporary file beside
 * the target, fsync, then rename, so a run killed at any moment leaves either the previous checkpoint or
 * the new one, never half of one; a failed write (a full disk) removes its temporary file.
 *
 * Reading checks the checksum: a flipped bit anywhere is refused with an error naming the file, as are
 * empty, truncated and foreign files. Format-1 files (written before the checksum) are still read.
 *
 * Layout: `SIAMESE-CKPT-2\n`, header length (u64 LE), header JSON, zero padding to 4 bytes, tensor data,
 * SHA-256 (32 bytes) of all the preceding bytes.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { nodeFileOps, writeFileAtomicSafe, type FileOps } from '../util/files';

const MAGIC = 'SIAMESE-CKPT-2\n';
const MAGIC_V1 = 'SIAMESE-CKPT-1\n';
const MAGIC_STEM = 'SIAMESE-CKPT-';
const PREFIX = MAGIC.length + 8;
const HASH_BYTES = 32;

export interface TensorRecord {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export interface Checkpoint<M> {
  /** JSON-serialisable facts (epoch, step, rng state, ...). */
  readonly meta: M;
  /** Named float32 tensors. */
  readonly tensors: ReadonlyMap<string, TensorRecord>;
}

/** A checkpoint as read: its format (1: no checksum, read unverified; 2: checksum verified). */
export type ReadCheckpoint<M> = Checkpoint<M> & { readonly format: 1 | 2 };

interface IndexEntry { name: string; shape: number[]; offset: number; length: number }

/** A checkpoint file that cannot be used; `reason` says why, the message names the file and what to do. */
export class CheckpointError extends Error {
  constructor(readonly file: string, readonly reason: string, advice = 'delete it to continue without it') {
    super(`${file}: not a usable checkpoint (${reason}); ${advice}`);
    this.name = 'CheckpointError';
  }
}

const padOf = (n: number): number => (4 - (n % 4)) % 4;

/** Writes `ckpt` to `file` atomically (see the module comment); `ops` lets tests inject a failing disk. */
export function writeCheckpoint<M>(file: string, ckpt: Checkpoint<M>, ops: FileOps = nodeFileOps): void {
  const index: IndexEntry[] = [];
  let offset = 0;
  for (const [name, { shape, values }] of ckpt.tensors) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== values.length) throw new RangeError(`checkpoint tensor ${name}: shape ${JSON.stringify(shape)} holds ${size} values, got ${values.length}`);
    index.push({ name, shape: [...shape], offset, length: values.length });
    offset += values.length * 4;
  }
  const header = Buffer.from(JSON.stringify({ meta: ckpt.meta, index, dataBytes: offset }), 'utf8');
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeBigUInt64LE(BigInt(header.length), MAGIC.length);
  const pad = Buffer.alloc(padOf(prefix.length + header.length));
  function* chunks(): Generator<Uint8Array> {
    const hash = createHash('sha256');
    for (const part of [prefix, header, pad]) {
      hash.update(part);
      yield part;
    }
    for (const [, { values }] of ckpt.tensors) {
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      hash.update(bytes);
      yield bytes;
    }
    yield hash.digest();
  }
  writeFileAtomicSafe(file, chunks(), ops);
}

/** Reads the file, with errors that name it. */
function readBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${file}: no such checkpoint`, { cause: err });
    if (code === 'EISDIR') throw new CheckpointError(file, 'it is a folder, not a file', 'move it away');
    throw new Error(`${file}: cannot read the checkpoint: ${(err as Error).message}`, { cause: err });
  }
}

/** The format of `buf`'s magic (1 or 2), or a CheckpointError for empty, truncated, foreign or newer files. */
function formatOf(file: string, buf: Buffer): 1 | 2 {
  if (buf.length === 0) throw new CheckpointError(file, 'empty (0 bytes): probably interrupted while being written');
  const head = buf.toString('latin1', 0, Math.min(buf.length, MAGIC.length));
  const magic = head === MAGIC ? 2 : head === MAGIC_V1 ? 1 : null;
  if (magic === null) {
    if (MAGIC.startsWith(head) || MAGIC_V1.startsWith(head)) throw new CheckpointError(file, `truncated: only ${buf.length} bytes`);
    if (head.startsWith(MAGIC_STEM) && /^\d+\n$/.test(head.slice(MAGIC_STEM.length))) {
      throw new CheckpointError(file, `format ${head.slice(MAGIC_STEM.length, -1)}: written by a newer version of this project`, 'update the project to read it');
    }
    throw new CheckpointError(file, 'wrong magic: not written by this project');
  }
  if (buf.length < PREFIX) throw new CheckpointError(file, `truncated: only ${buf.length} bytes`);
  return magic;
}

/** Whether a format-2 file's stored SHA-256 matches its contents. */
function checksumOk(buf: Buffer): boolean {
  if (buf.length < PREFIX + HASH_BYTES) return false;
  const body = buf.subarray(0, buf.length - HASH_BYTES);
  return createHash('sha256').update(body).digest().equals(buf.subarray(buf.length - HASH_BYTES));
}

const CORRUPT = 'checksum mismatch: the file is corrupt (its SHA-256 differs from the one stored when it was written)';

/** Reads a checkpoint; an empty, truncated, corrupt (checksum) or foreign file is a {@link CheckpointError} naming it. */
export function readCheckpoint<M>(file: string): ReadCheckpoint<M> {
  const buf = readBytes(file);
  const format = formatOf(file, buf);
  const trailer = format === 2 ? HASH_BYTES : 0;
  const fail = (why: string): never => {
    // with a checksum, a structural problem in a complete-looking file is corruption, said as such
    throw new CheckpointError(file, format === 2 && !checksumOk(buf) && !why.startsWith('truncated') ? `${CORRUPT}; ${why}` : why);
  };
  const headerLength = Number(buf.readBigUInt64LE(MAGIC.length));
  if (PREFIX + headerLength > buf.length) fail(`truncated or corrupt: a header of ${headerLength} bytes does not fit in the file's ${buf.length} bytes`);
  let parsed: { meta: M; index: IndexEntry[]; dataBytes: number };
  try {
    parsed = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + headerLength));
  } catch (err) {
    return fail(`bad header: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!(parsed && typeof parsed === 'object' && Array.isArray(parsed.index) && Number.isSafeInteger(parsed.dataBytes) && parsed.dataBytes >= 0)) {
    fail('bad header: no tensor index');
  }
  const dataStart = PREFIX + headerLength + padOf(PREFIX + headerLength);
  const expected = dataStart + parsed.dataBytes + trailer;
  if (buf.length < expected) fail(`truncated: expected ${expected} bytes, found ${buf.length}`);
  if (buf.length > expected) fail(`expected ${expected} bytes, found ${buf.length}: trailing bytes`);
  if (format === 2 && !checksumOk(buf)) throw new CheckpointError(file, CORRUPT);
  const tensors = new Map<string, TensorRecord>();
  for (const e of parsed.index) {
    const size = Array.isArray(e.shape) ? e.shape.reduce((a, b) => a * b, 1) : NaN;
    if (!(Number.isSafeInteger(e.offset) && Number.isSafeInteger(e.length) && e.offset >= 0 && e.length === size && e.offset + e.length * 4 <= parsed.dataBytes)) {
      fail(`bad header: tensor ${JSON.stringify(e.name)} lies outside the data or does not match its shape`);
    }
    const values = new Float32Array(e.length);
    new Uint8Array(values.buffer).set(buf.subarray(dataStart + e.offset, dataStart + e.offset + e.length * 4));
    tensors.set(e.name, { shape: e.shape, values });
  }
  return { meta: parsed.meta, tensors, format };
}
