/**
 * A reader for the Netpbm formats (PBM P1/P4, PGM P2/P5, PPM P3/P6). sharp's prebuilt binaries do not read
 * them, so the project parses them itself into 8-bit pixels that sharp then treats as raw input.
 *
 * The header is checked before anything is allocated: sizes must be positive whole numbers within the
 * pixel limit, the maximum value 1..65535, and the file must hold at least as much data as the header
 * promises. Errors name the file and, for the header, the line.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */

/** A decoded Netpbm image: 8-bit pixels, 1 (grey) or 3 (RGB) channels, row-major. */
export interface PnmImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

/** A Netpbm header: what the file says it holds, and where its pixel data starts. */
export interface PnmHeader {
  /** 1..6 for P1..P6. */
  readonly kind: 1 | 2 | 3 | 4 | 5 | 6;
  readonly width: number;
  readonly height: number;
  /** The value that means full intensity (1 for PBM). */
  readonly maxval: number;
  readonly channels: 1 | 3;
  /** Byte offset of the pixel data. */
  readonly dataOffset: number;
}

/** Whether a buffer starts like a Netpbm file (`P1`..`P6` then whitespace). */
export function isPnm(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0x50 && buf[1] >= 0x31 && buf[1] <= 0x36 && isSpace(buf[2]);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** 1-based line number of byte `pos`. */
function lineAt(buf: Uint8Array, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < buf.length; i++) if (buf[i] === 0x0a) line++;
  return line;
}

/** The text at `pos` up to the next whitespace (at most 20 characters), for error messages. */
function wordAt(buf: Uint8Array, pos: number): string {
  let end = pos;
  while (end < buf.length && end - pos < 20 && !isSpace(buf[end])) end++;
  return Buffer.from(buf.subarray(pos, end)).toString('latin1');
}

/** Reads whitespace-separated whole numbers (skipping `#` comments) from `buf`, starting at `pos`. */
class Tokens {
  constructor(private readonly buf: Uint8Array, readonly file: string, public pos: number) {}

  /** Skips whitespace and comments; true when a token follows. */
  skip(): boolean {
    const { buf } = this;
    for (;;) {
      while (this.pos < buf.length && isSpace(buf[this.pos])) this.pos++;
      if (buf[this.pos] !== 0x23) break; // '#' comment to end of line
      while (this.pos < buf.length && buf[this.pos] !== 0x0a && buf[this.pos] !== 0x0d) this.pos++;
    }
    return this.pos < this.buf.length;
  }

  /** The next whole number; `null` at the end of the file. Throws naming the line for anything else. */
  next(what: string, where: string): number | null {
    if (!this.skip()) return null;
    const { buf } = this;
    const start = this.pos;
    while (this.pos < buf.length && isDigit(buf[this.pos])) this.pos++;
    const ends = this.pos === buf.length || isSpace(buf[this.pos]) || buf[this.pos] === 0x23;
    if (this.pos === start || !ends || this.pos - start > 15) {
      throw new Error(`${this.file}: ${where}, line ${lineAt(buf, start)}: expected ${what} (a whole number), found ${JSON.stringify(wordAt(buf, start))}`);
    }
    return Number(Buffer.from(buf.subarray(start, this.pos)).toString('latin1'));
  }
}

/**
 * Reads and checks a Netpbm header without allocating anything for the pixels: sizes at least 1x1 and at
 * most `maxPixels`, maximum value 1..65535, a single whitespace byte before binary data, and enough bytes
 * after the header for the pixels it promises. Throws an error naming `file` and the header line.
 */
export function readPnmHeader(buf: Uint8Array, file = '<buffer>', maxPixels = Infinity): PnmHeader {
  if (!isPnm(buf)) throw new Error(`${file}: not a Netpbm file (it must start with P1..P6)`);
  const kind = (buf[1] - 0x30) as PnmHeader['kind'];
  const t = new Tokens(buf, file, 2);
  const field = (what: string): number => {
    const v = t.next(what, 'bad Netpbm header');
    if (v === null) throw new Error(`${file}: truncated Netpbm header, line ${lineAt(buf, buf.length)}: the file ends before ${what}`);
    return v;
  };
  const width = field('the width');
  const height = field('the height');
  const maxval = kind === 1 || kind === 4 ? 1 : field('the maximum value');
  const line = lineAt(buf, t.pos);
  if (width < 1 || height < 1) throw new Error(`${file}: bad Netpbm header, line ${line}: the size must be at least 1x1, got ${width}x${height}`);
  if (width * height > maxPixels) {
    throw new Error(`${file}: Netpbm image is ${width}x${height} = ${(width * height).toLocaleString('en-US')} pixels, more than the limit of ${maxPixels.toLocaleString('en-US')} (a decompression bomb?)`);
  }
  if (maxval < 1 || maxval > 65535) throw new Error(`${file}: bad Netpbm header, line ${line}: the maximum value must be 1..65535, got ${maxval}`);
  const channels: 1 | 3 = kind === 3 || kind === 6 ? 3 : 1;
  const count = width * height * channels;
  let dataOffset = t.pos;
  const left = (): number => buf.length - dataOffset;
  if (kind >= 4) {
    // binary: exactly one whitespace byte after the header, then the raster
    if (dataOffset < buf.length && !isSpace(buf[dataOffset])) {
      throw new Error(`${file}: bad Netpbm header, line ${line}: the pixel data must follow the header after one whitespace byte, found ${JSON.stringify(wordAt(buf, dataOffset))} (a comment after the last header value is ambiguous in binary Netpbm; put it before)`);
    }
    dataOffset++;
    const need = kind === 4 ? Math.ceil(width / 8) * height : count * (maxval > 255 ? 2 : 1);
    if (left() < need) throw new Error(`${file}: truncated Netpbm data, need ${need} bytes, have ${Math.max(0, left())} (the header says ${width}x${height}${kind === 4 ? '' : `, maximum value ${maxval}`})`);
  } else {
    // ASCII: each value takes at least one byte (PBM) or a digit and a separator (PGM/PPM)
    const need = kind === 1 ? count : 2 * count - 1;
    if (left() < need) throw new Error(`${file}: truncated Netpbm data, the header says ${width}x${height} (${count.toLocaleString('en-US')} values) but only ${Math.max(0, left())} bytes follow it`);
  }
  return { kind, width, height, maxval, channels, dataOffset };
}

/**
 * Parses a PBM/PGM/PPM file. Values above 255 (maxval up to 65535) are scaled to 8 bits; PBM's 1 = black.
 * The header is checked first (see {@link readPnmHeader}; `maxPixels` bounds the size); values above the
 * maximum value are refused. Throws an error naming `file` and what is wrong (bad header, too few pixels).
 */
export function readPnm(buf: Uint8Array, file = '<buffer>', maxPixels = Infinity): PnmImage {
  const h = readPnmHeader(buf, file, maxPixels);
  const { kind, width, height, maxval, channels } = h;
  const count = width * height * channels;
  const out = new Uint8Array(count);
  const tooBig = (v: number, i: number): Error => new Error(`${file}: bad Netpbm data: pixel value ${v} (value ${i + 1} of ${count}) is above the maximum value ${maxval}`);
  const scale = (v: number): number => Math.round((v * 255) / maxval);
  if (kind === 1) {
    let pos = h.dataOffset;
    for (let i = 0; i < count; i++) {
      while (pos < buf.length && (isSpace(buf[pos]) || buf[pos] === 0x23)) {
        if (buf[pos] === 0x23) while (pos < buf.length && buf[pos] !== 0x0a) pos++;
        else pos++;
      }
      if (pos >= buf.length) throw new Error(`${file}: truncated PBM data, got ${i} of ${count} pixels`);
      const c = buf[pos++];
      if (c !== 0x30 && c !== 0x31) throw new Error(`${file}: bad PBM data, line ${lineAt(buf, pos - 1)}: expected 0 or 1, found ${JSON.stringify(String.fromCharCode(c))}`);
      out[i] = c === 0x31 ? 0 : 255;
    }
    return { data: out, width, height, channels };
  }
  if (kind <= 3) {
    const t = new Tokens(buf, file, h.dataOffset);
    for (let i = 0; i < count; i++) {
      const v = t.next('a pixel value', 'bad Netpbm data');
      if (v === null) throw new Error(`${file}: truncated Netpbm data, got ${i} of ${count} values`);
      if (v > maxval) throw tooBig(v, i);
      out[i] = scale(v);
    }
    return { data: out, width, height, channels };
  }
  const pos = h.dataOffset;
  if (kind === 4) {
    const rowBytes = Math.ceil(width / 8);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = (buf[pos + y * rowBytes + (x >> 3)] >> (7 - (x & 7))) & 1;
        out[y * width + x] = bit ? 0 : 255;
      }
    }
    return { data: out, width, height, channels };
  }
  if (maxval > 255) {
    for (let i = 0; i < count; i++) {
      const v = (buf[pos + 2 * i] << 8) | buf[pos + 2 * i + 1];
      if (v > maxval) throw tooBig(v, i);
      out[i] = scale(v);
    }
  } else if (maxval === 255) {
    out.set(buf.subarray(pos, pos + count));
  } else {
    for (let i = 0; i < count; i++) {
      const v = buf[pos + i];
      if (v > maxval) throw tooBig(v, i);
      out[i] = scale(v);
    }
  }
  return { data: out, width, height, channels };
}

/** Encodes 8-bit grey or RGB pixels as binary PGM (P5) or PPM (P6). */
export function writePnm(img: PnmImage): Buffer {
  const header = Buffer.from(`P${img.channels === 1 ? 5 : 6}\n${img.width} ${img.height}\n255\n`, 'latin1');
  return Buffer.concat([header, Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength)]);
}
