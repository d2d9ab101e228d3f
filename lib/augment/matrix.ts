/**
 * One projective transform per image: the crop, flip, scale, rotation and translation of an
 * {@link AugmentParams} composed into the 8 numbers `tf.image.transform` takes.
 *
 * `tf.image.transform` maps each *output* pixel (x, y) to the *input* point
 * `((a0·x + a1·y + a2) / k, (b0·x + b1·y + b2) / k)` with `k = c0·x + c1·y + 1` and samples it there, so
 * the matrix is the inverse of what is done to the picture. With u = output − centre, the input point is
 *
 *     input = boxCentre + D · F · Rᵀ(θ) · (u − t) / s
 *
 * (t translation in pixels, s scale, R rotation by θ counter-clockwise on screen, F the mirror, D the crop
 * box's width and height as fractions, boxCentre the crop box's centre in pixel coordinates). Identity
 * params give exactly `[1, 0, 0, 0, 1, 0, 0, 0]`.
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
import type { AugmentParams } from './params';

/** The 8 transform numbers `[a0, a1, a2, b0, b1, b2, c0, c1]` for one image of `height` x `width`. */
export function projectiveMatrix(p: AugmentParams, height: number, width: number): number[] {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const theta = (p.rotate * Math.PI) / 180;
  const cos = p.rotate === 0 ? 1 : Math.cos(theta);
  const sin = p.rotate === 0 ? 0 : Math.sin(theta);
  const f = p.flip ? -1 : 1;
  // M = D · F · Rᵀ / s, with Rᵀ = [[cos, −sin], [sin, cos]] in y-down coordinates.
  const m00 = (p.crop.w * f * cos) / p.scale;
  const m01 = (p.crop.w * f * -sin) / p.scale;
  const m10 = (p.crop.h * sin) / p.scale;
  const m11 = (p.crop.h * cos) / p.scale;
  const bx = (p.crop.x + p.crop.w / 2) * width - 0.5;
  const by = (p.crop.y + p.crop.h / 2) * height - 0.5;
  const tx = p.translateX * width;
  const ty = p.translateY * height;
  // input = M·(X − c − t) + box = M·X + (box − M·(c + t))
  const ox = cx + tx;
  const oy = cy + ty;
  // `+ 0` turns −0 into 0, so identity params give exactly [1, 0, 0, 0, 1, 0, 0, 0].
  return [m00, m01, bx - (m00 * ox + m01 * oy), m10, m11, by - (m10 * ox + m11 * oy), 0, 0].map((v) => v + 0);
}
