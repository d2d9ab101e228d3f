/**
 * Checkpoint files: one binary file holding a JSON header (epoch, step, rng and dropout counters,
 * history, the tensor index) and the raw float32 values of every tensor (model weights, optimizer
 * state). Written atomically: a temporary file beside the target, fsync, then rename, so a run killed
 * at any moment leaves either the previous checkpoint or the new one, never half of one.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const MAGIC = 'SIAMESE-CKPT-1\n';

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

interface IndexEntry { name: string; shape: number[]; offset: number; length: number }

/** Writes `ckpt` to `file` atomically. */
export function writeCheckpoint<M>(file: string, ckpt: Checkpoint<M>): void {
  const index: IndexEntry[] = [];
  let offset = 0;
  for (const [name, { shape, values }] of ckpt.tensors) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== values.length) throw new RangeError(`checkpoint tensor ${name}: shape ${JSON.stringify(shape)} holds ${size} values, got ${values.length}`);
    index.push({ name, shape: [...shape], offset, length: values.length });
    offset += values.length * 4;
  }
  const header = Buffer.from(JSON.stringify({ meta: ckpt.meta, index, dataBytes: offset }), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 8);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeBigUInt64LE(BigInt(header.length), MAGIC.length);
  const pad = Buffer.alloc((4 - ((prefix.length + header.length) % 4)) % 4);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, prefix);
    fs.writeSync(fd, header);
    fs.writeSync(fd, pad);
    for (const [, { values }] of ckpt.tensors) {
      fs.writeSync(fd, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Reads a checkpoint; a truncated or foreign file is an error naming it. */
export function readCheckpoint<M>(file: string): Checkpoint<M> {
  const buf = fs.readFileSync(file);
  const fail = (why: string): never => {
    throw new Error(`${file}: not a usable checkpoint (${why})`);
  };
  if (buf.length < MAGIC.length + 8 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) fail('wrong magic: not written by this project');
  const headerLength = Number(buf.readBigUInt64LE(MAGIC.length));
  const headerStart = MAGIC.length + 8;
  if (headerStart + headerLength > buf.length) fail('truncated header');
  let parsed: { meta: M; index: IndexEntry[]; dataBytes: number };
  try {
    parsed = JSON.parse(buf.toString('utf8', headerStart, headerStart + headerLength));
  } catch (err) {
    return fail(`bad header: ${err instanceof Error ? err.message : String(err)}`);
  }
  const dataStart = headerStart + headerLength + ((4 - ((headerStart + headerLength) % 4)) % 4);
  if (buf.length !== dataStart + parsed.dataBytes) fail(`expected ${dataStart + parsed.dataBytes} bytes, found ${buf.length} (truncated?)`);
  const tensors = new Map<string, TensorRecord>();
  for (const e of parsed.index) {
    const values = new Float32Array(e.length);
    new Uint8Array(values.buffer).set(buf.subarray(dataStart + e.offset, dataStart + e.offset + e.length * 4));
    tensors.set(e.name, { shape: e.shape, values });
  }
  return { meta: parsed.meta, tensors };
}
