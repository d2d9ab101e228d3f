/**
 * A photo with boxes, points and labels drawn on it, as PNG (sharp plus an SVG overlay): found faces with
 * their detector boxes and landmarks, numbered so a table can refer to them.
 *
 * @see notebooks/07-personal-images.ipynb
 */
import sharp from 'sharp';
import type { PixelBox } from '../data/crop';

/** One thing to mark: a box (photo pixels), optional points inside it, an optional label at its top-left corner. */
export interface PhotoMark {
  readonly box: PixelBox;
  readonly points?: readonly { readonly x: number; readonly y: number }[];
  readonly label?: string;
  /** A CSS colour (default: green when `ok` is not false, red otherwise). */
  readonly colour?: string;
  /** False draws the mark in red with a dashed box (e.g. a face the face check rejected). */
  readonly ok?: boolean;
}

/** Mark colours: a face in use, and one rejected. */
export const MARK_COLOURS = Object.freeze({ ok: '#1fbf3f', rejected: '#e0262b' });

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The SVG overlay of `marks` for an image `width` x `height` whose photo coordinates are scaled by `scale`. */
export function marksSvg(marks: readonly PhotoMark[], width: number, height: number, scale = 1): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const font = Math.max(12, Math.round(Math.min(width, height) / 22));
  const parts = marks.map((m) => {
    const colour = escapeXml(m.colour ?? (m.ok === false ? MARK_COLOURS.rejected : MARK_COLOURS.ok));
    const [x, y, w, h] = [m.box.left * scale, m.box.top * scale, m.box.width * scale, m.box.height * scale].map((v) => v.toFixed(1));
    const dash = m.ok === false ? ` stroke-dasharray="${stroke * 3},${stroke * 2}"` : '';
    const dots = (m.points ?? []).map((p) => `<circle cx="${(p.x * scale).toFixed(1)}" cy="${(p.y * scale).toFixed(1)}" r="${Math.max(1.2, stroke * 0.6)}" fill="${colour}"/>`).join('');
    const label = m.label === undefined ? '' : `<rect x="${x}" y="${(m.box.top * scale - font * 1.25).toFixed(1)}" width="${(font * 0.7 * m.label.length + font * 0.5).toFixed(1)}" height="${(font * 1.25).toFixed(1)}" fill="${colour}"/>`
      + `<text x="${(m.box.left * scale + font * 0.25).toFixed(1)}" y="${(m.box.top * scale - font * 0.3).toFixed(1)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${font}" font-weight="bold" fill="#fff">${escapeXml(m.label)}</text>`;
    return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${colour}" stroke-width="${stroke}"${dash}/>${dots}${label}`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/**
 * `image` (raw RGB or RGBA pixels, 0-255) with `marks` drawn on it, scaled to `width` pixels wide (default:
 * its own width), as PNG.
 */
export async function markedPhoto(image: { readonly data: ArrayLike<number>; readonly width: number; readonly height: number; readonly channels: 1 | 3 | 4 },
  marks: readonly PhotoMark[], options: { readonly width?: number } = {}): Promise<Buffer> {
  const { width, height, channels } = image;
  if (image.data.length !== width * height * channels) throw new RangeError(`markedPhoto: ${image.data.length} values do not fill ${width}x${height}x${channels}`);
  const outW = options.width ?? width;
  if (!Number.isInteger(outW) || outW < 16 || outW > 8192) throw new RangeError(`markedPhoto width must be an integer in [16, 8192], got ${outW}`);
  const scale = outW / width;
  const outH = Math.max(1, Math.round(height * scale));
  const bytes = image.data instanceof Uint8Array ? image.data : Uint8Array.from(image.data);
  return sharp(bytes, { raw: { width, height, channels } }).resize(outW, outH, { fit: 'fill' })
    .composite([{ input: Buffer.from(marksSvg(marks, outW, outH, scale)), left: 0, top: 0 }]).png().toBuffer();
}
