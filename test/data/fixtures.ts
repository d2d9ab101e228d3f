/** Test fixtures for test/data and test/viz: temporary identity folders with images made by sharp. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A fresh temporary folder; call `cleanup` when done. */
export function tempDir(prefix = 'siamese-data-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A solid-colour image, encoded as `format`. */
export async function solidImage(width: number, height: number, rgb: [number, number, number], format: 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif' = 'jpeg'): Promise<Buffer> {
  const img = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  return img.toFormat(format).toBuffer();
}

/** A colour for person `p`, image `i`: distinct per person, slightly varied per image. */
export function colourFor(p: number, i: number): [number, number, number] {
  return [(40 + p * 53) % 256, (90 + p * 97) % 256, (140 + p * 31 + i * 5) % 256];
}

/**
 * Writes an LFW-layout folder: `counts[p]` images for person `names[p]` (default `Person_<p>`), each a
 * `size` x `size` JPEG of a per-person colour.
 */
export async function makeLfwFolder(root: string, counts: readonly number[], size = 16, names?: readonly string[]): Promise<string[]> {
  const people = counts.map((_, p) => names?.[p] ?? `Person_${String.fromCharCode(65 + (p % 26))}${p >= 26 ? Math.floor(p / 26) : ''}`);
  for (let p = 0; p < counts.length; p++) {
    const dir = path.join(root, people[p]);
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 1; i <= counts[p]; i++) {
      fs.writeFileSync(path.join(dir, `${people[p]}_${String(i).padStart(4, '0')}.jpg`), await solidImage(size, size, colourFor(p, i)));
    }
  }
  return people;
}

/** A PNG whose header claims `w` x `h` pixels but whose data is tiny. */
export function bombPng(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(w + 1))), chunk('IEND', Buffer.alloc(0))]);
}
