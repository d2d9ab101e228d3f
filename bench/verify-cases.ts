/**
 * Photos for `siamese verify`'s latency cases (bench/verify.ts, bench/verify-profile.ts), written to a
 * folder: the cascade's three ways of ending on a photo.
 * - `tiny`: LFW originals (the Tiny Face Detector finds the face on the photo itself);
 * - `padded`: tight crops of LFW originals (`tightCrop`, as bench/face-check.ts cuts them): the face fills
 *   the frame, so it is found only on the padded photo (or by SSD);
 * - `none`: generated non-faces (`nonFaces`, every family in turn): no face at all (the whole cascade runs),
 *   or a detector fires and the face check answers "not a face".
 * Which pass really found each photo's face is read from the verdicts, not assumed from the set.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { NON_FACE_FAMILIES, nonFaces, tightCrop, tightCropSpec } from '../lib/faces';
import { createRng } from '../lib/util/rng';

export type CaseSet = 'tiny' | 'padded' | 'none';

/** `n` photos of one set (`lfwPhotos` supplies the originals), written under `dir/<set>/`; the same for the same inputs and `seed`. */
export async function writeCasePhotos(set: CaseSet, n: number, dir: string, lfwPhotos: readonly string[], seed = ''): Promise<string[]> {
  const out = path.join(dir, set);
  fs.mkdirSync(out, { recursive: true });
  if (set === 'tiny') return lfwPhotos.slice(0, n);
  const files: string[] = [];
  if (set === 'padded') {
    const rng = createRng(`verify-bench:padded${seed}`);
    for (let i = 0; i < n; i++) {
      const file = path.join(out, `crop${i}.png`);
      fs.writeFileSync(file, await tightCrop(lfwPhotos[i % lfwPhotos.length], tightCropSpec(rng.fork(String(i)))));
      files.push(file);
    }
    return files;
  }
  for (let i = 0; i < n; i++) {
    const family = NON_FACE_FAMILIES[i % NON_FACE_FAMILIES.length];
    const [img] = await nonFaces(family, 1, `verify-bench:${seed}${i}`);
    const file = path.join(out, `${family}${i}.png`);
    await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } }).png().toFile(file);
    files.push(file);
  }
  return files;
}
