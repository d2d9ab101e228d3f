/**
 * A reader for the Netpbm formats (PBM P1/P4, PGM P2/P5, PPM P3/P6). sharp's prebuilt binaries do not read
 * them, so the project parses them itself into 8-bit pixels that sharp then treats as raw input.
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

/** Whether a buffer starts like a Netpbm file (`P1`..`P6` then whitespace). */
export function isPnm(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0x50 && buf[1] >= 0x31 && buf[1] <= 0x36 && isSpace(buf[2]);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/**
 * Parses a PBM/PGM/PPM file. Values above 255 (maxval up to 65535) are scaled to 8 bits; PBM's 1 = black.
 * Throws an error naming `file` and what is wrong (bad header, too few pixels).
 */
export function readPnm(buf: Uint8Array, file = '<buffer>'): PnmImage {
  if (!isPnm(buf)) throw new Error(`${file}: not a Netpbm file (it must start with P1..P6)`);
  const kind = buf[1] - 0x30;
  let pos = 2;
  const nextToken = (what: string): number => {
    for (;;) {
      while (pos < buf.length && isSpace(buf[pos])) pos++;
      if (buf[pos] === 0x23) { // '#' comment to end of line
        while (pos < buf.length && buf[pos] !== 0x0a && buf[pos] !== 0x0d) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < buf.length && buf[pos] >= 0x30 && buf[pos] <= 0x39) pos++;
    if (pos === start) throw new Error(`${file}: bad Netpbm header, expected ${what} at byte ${start}`);
    return Number(Buffer.from(buf.subarray(start, pos)).toString('latin1'));
  };
  const width = nextToken('the width');
  const height = nextToken('the height');
  const maxval = kind === 1 || kind === 4 ? 1 : nextToken('the maximum value');
  if (width < 1 || height < 1) throw new Error(`${file}: Netpbm size must be positive, got ${width}x${height}`);
  if (maxval < 1 || maxval > 65535) throw new Error(`${file}: Netpbm maximum value must be 1..65535, got ${maxval}`);
  const channels: 1 | 3 = kind === 3 || kind === 6 ? 3 : 1;
  const count = width * height * channels;
  const out = new Uint8Array(count);
  const scale = (v: number): number => Math.round((Math.min(v, maxval) * 255) / maxval);
  if (kind <= 3) { // ASCII
    if (kind === 1) {
      for (let i = 0; i < count; i++) {
        while (pos < buf.length && (isSpace(buf[pos]) || buf[pos] === 0x23)) {
          if (buf[pos] === 0x23) while (pos < buf.length && buf[pos] !== 0x0a) pos++;
          else pos++;
        }
        if (pos >= buf.length) throw new Error(`${file}: truncated PBM data, got ${i} of ${count} pixels`);
        out[i] = buf[pos++] === 0x31 ? 0 : 255;
      }
    } else {
      for (let i = 0; i < count; i++) {
        let v: number;
        try {
          v = nextToken('a pixel value');
        } catch {
          throw new Error(`${file}: truncated Netpbm data, got ${i} of ${count} values`);
        }
        out[i] = scale(v);
      }
    }
    return { data: out, width, height, channels };
  }
  pos++; // exactly one whitespace byte after the header
  if (kind === 4) {
    const rowBytes = Math.ceil(width / 8);
    if (buf.length - pos < rowBytes * height) throw new Error(`${file}: truncated PBM data, need ${rowBytes * height} bytes, have ${buf.length - pos}`);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = (buf[pos + y * rowBytes + (x >> 3)] >> (7 - (x & 7))) & 1;
        out[y * width + x] = bit ? 0 : 255;
      }
    }
    return { data: out, width, height, channels };
  }
  const bytesPer = maxval > 255 ? 2 : 1;
  if (buf.length - pos < count * bytesPer) {
    throw new Error(`${file}: truncated Netpbm data, need ${count * bytesPer} bytes, have ${buf.length - pos}`);
  }
  for (let i = 0; i < count; i++) {
    const v = bytesPer === 2 ? (buf[pos + 2 * i] << 8) | buf[pos + 2 * i + 1] : buf[pos + i];
    out[i] = maxval === 255 ? v : scale(v);
  }
  return { data: out, width, height, channels };
}

/** Encodes 8-bit grey or RGB pixels as binary PGM (P5) or PPM (P6). */
export function writePnm(img: PnmImage): Buffer {
  const header = Buffer.from(`P${img.channels === 1 ? 5 : 6}\n${img.width} ${img.height}\n255\n`, 'latin1');
  return Buffer.concat([header, Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength)]);
}
