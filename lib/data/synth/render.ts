/**
 * Draws a synthetic face: `faceSvg` turns a person's traits and one photo's variation into an SVG string
 * (a 100 x 100 canvas), `renderFace` rasterises it with sharp (librsvg), applies the photo's lighting,
 * blur and sensor noise, and encodes JPEG or PNG. Both are deterministic: the same inputs give the same
 * bytes on the same sharp build.
 *
 * Head pose is faked in 2.5-D: every facial point has a depth, and yaw/pitch slide deep points (nose tip,
 * eyes, mouth) across the face more than the outline, which is what a turned head looks like in a photo.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import sharp from 'sharp';
import type { Rng } from '../../util/rng';
import { hex, mix, shade } from './colour';
import type { FaceIdentity, FaceVariation } from './identity';

/** The head's centre on the 100-unit canvas before the photo's shift. */
const CX = 50;
const CY = 47;

type Pt = [number, number];

const f1 = (v: number): string => (Math.round(v * 100) / 100).toString();
const pt = (p: Pt): string => `${f1(p[0])} ${f1(p[1])}`;

/** A smooth closed curve through `points` (Catmull-Rom turned into cubic Beziers). */
function closedCurve(points: readonly Pt[]): string {
  const n = points.length;
  let d = `M${pt(points[0])}`;
  for (let i = 0; i < n; i++) {
    const p0 = points[(i - 1 + n) % n], p1 = points[i], p2 = points[(i + 1) % n], p3 = points[(i + 2) % n];
    const c1: Pt = [p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6];
    const c2: Pt = [p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6];
    d += `C${pt(c1)} ${pt(c2)} ${pt(p2)}`;
  }
  return d + 'Z';
}

/** A smooth open curve through `points`, continuing a path (no leading M). */
function openCurve(points: readonly Pt[]): string {
  let d = '';
  const n = points.length;
  for (let i = 0; i < n - 1; i++) {
    const p0 = points[Math.max(i - 1, 0)], p1 = points[i], p2 = points[i + 1], p3 = points[Math.min(i + 2, n - 1)];
    const c1: Pt = [p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6];
    const c2: Pt = [p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6];
    d += `C${pt(c1)} ${pt(c2)} ${pt(p2)}`;
  }
  return d;
}

/** A quadratic Bezier control point that makes the curve from `a` to `b` pass through `through` at t = 0.5. */
function through(a: Pt, b: Pt, mid: Pt): Pt {
  return [2 * mid[0] - (a[0] + b[0]) / 2, 2 * mid[1] - (a[1] + b[1]) / 2];
}

/**
 * The SVG for one photo of one person, on a 100 x 100 canvas drawn at `size` x `size` pixels.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export function faceSvg(id: FaceIdentity, v: FaceVariation, size: number): string {
  const W = id.face.width, L = id.face.length;
  const yaw = (v.yaw * Math.PI) / 180, pitch = (v.pitch * Math.PI) / 180;
  const cosY = Math.cos(yaw), sinY = Math.sin(yaw), cosP = Math.cos(pitch), sinP = Math.sin(pitch);
  /** Face-local (x right, y down, z toward the camera, in canvas units) to canvas coordinates. */
  const P = (x: number, y: number, z = 0): Pt => [CX + x * cosY + z * sinY, CY + y * cosP + z * sinP];
  const skin = id.skin;
  const hair = id.hair.colour;
  const out: string[] = [];

  // ---- background -------------------------------------------------------------------------------
  const bgA = (v.background.angle * Math.PI) / 180;
  const gx = 0.5 * Math.cos(bgA), gy = 0.5 * Math.sin(bgA);
  out.push(`<defs><linearGradient id="bg" x1="${f1(0.5 - gx)}" y1="${f1(0.5 - gy)}" x2="${f1(0.5 + gx)}" y2="${f1(0.5 + gy)}">` +
    `<stop offset="0" stop-color="${hex(v.background.from)}"/><stop offset="1" stop-color="${hex(v.background.to)}"/></linearGradient>` +
    `<radialGradient id="skin" cx="${f1(0.5 + 0.25 * sinY)}" cy="0.42" r="0.62">` +
    `<stop offset="0" stop-color="${hex(shade(skin, 1.05))}"/><stop offset="0.65" stop-color="${hex(skin)}"/>` +
    `<stop offset="1" stop-color="${hex(shade(skin, 0.84))}"/></radialGradient></defs>`);
  out.push(`<rect x="-5" y="-5" width="110" height="110" fill="url(#bg)"/>`);
  for (const s of v.background.shapes) {
    const attrs = `fill="${hex(s.colour)}" fill-opacity="${f1(s.opacity)}" transform="rotate(${f1(s.rotate)} ${f1(s.x)} ${f1(s.y)})"`;
    if (s.kind === 'rect') out.push(`<rect x="${f1(s.x - s.w / 2)}" y="${f1(s.y - s.h / 2)}" width="${f1(s.w)}" height="${f1(s.h)}" ${attrs}/>`);
    else if (s.kind === 'circle') out.push(`<circle cx="${f1(s.x)}" cy="${f1(s.y)}" r="${f1(s.w / 2)}" ${attrs}/>`);
    else if (s.kind === 'stripe') out.push(`<rect x="${f1(s.x - 80)}" y="${f1(s.y - s.h / 10)}" width="160" height="${f1(s.h / 5)}" ${attrs}/>`);
    else out.push(`<path d="M${pt([s.x, s.y - s.h / 2])}L${pt([s.x + s.w / 2, s.y + s.h / 2])}L${pt([s.x - s.w / 2, s.y + s.h / 2])}Z" ${attrs}/>`);
  }

  // ---- the head group: shift, roll and scale ------------------------------------------------------
  const hx = CX + v.dx * 100, hy = CY + v.dy * 100;
  out.push(`<g transform="translate(${f1(hx)} ${f1(hy)}) rotate(${f1(v.roll)}) scale(${f1(v.scale)}) translate(${-CX} ${-CY})">`);

  const vol = id.hair.volume;
  const style = id.hair.style;
  const hairFill = `fill="${hex(hair)}"`;
  /** The outer contour over the top of the head, from the left side to the right side. */
  const capOuter = (spread: number, y0: number, lift: number): string => {
    const a = P(-spread * W, y0), b = P(-spread * 1.05 * W, -0.9 * L - lift), c = P(-0.58 * W, -L - lift), top = P(0, -L - lift);
    const c2 = P(0.58 * W, -L - lift), d = P(spread * 1.05 * W, -0.9 * L - lift), e = P(spread * W, y0);
    return `M${pt(a)}C${pt(b)} ${pt(c)} ${pt(top)}C${pt(c2)} ${pt(d)} ${pt(e)}`;
  };

  // ---- hair behind the head -----------------------------------------------------------------------
  if (style === 'long' || style === 'bob') {
    const bottom = style === 'long' ? 1.55 * L : 0.72 * L;
    const flare = style === 'long' ? 1.32 : 1.22;
    out.push(`<path d="${capOuter(1.16, -0.2 * L, vol + 1)}L${pt(P(flare * W, bottom))}` +
      `Q${pt(P(0, bottom + 3))} ${pt(P(-flare * W, bottom))}Z" ${hairFill}/>`);
  }
  if (style === 'curly') {
    for (const [u, w, r] of id.hair.curls) {
      const th = Math.PI + ((u + 1) / 2) * Math.PI * 1.2 - 0.1 * Math.PI;
      const c = P(Math.cos(th) * W * 1.08, Math.sin(th) * (0.95 * L + vol * w) - 0.05 * L);
      out.push(`<circle cx="${f1(c[0])}" cy="${f1(c[1])}" r="${f1((3.6 + vol * 0.5) * r)}" ${hairFill} stroke="${hex(shade(hair, 0.75))}" stroke-width="0.5"/>`);
    }
  }

  // ---- neck, shoulders, ears, face ---------------------------------------------------------------------
  const neckTop = P(0, 0.45 * L);
  const neckW = 0.44 * W * cosY;
  out.push(`<rect x="${f1(neckTop[0] - neckW)}" y="${f1(neckTop[1])}" width="${f1(2 * neckW)}" height="60" fill="${hex(shade(skin, 0.82))}"/>`);
  const sh = CY + L + 8;
  const nx = neckTop[0];
  out.push(`<path d="M${pt([nx - 55, 130])}L${pt([nx - 50, sh + 10])}Q${pt([nx - 42, sh - 2])} ${pt([nx - 13, sh - 3])}` +
    `L${pt([nx, sh + 8])}L${pt([nx + 13, sh - 3])}Q${pt([nx + 42, sh - 2])} ${pt([nx + 50, sh + 10])}L${pt([nx + 55, 130])}Z" ` +
    `fill="${hex(v.clothing)}"/>`);
  for (const side of [-1, 1]) {
    const e = P(side * 0.97 * W, -0.06 * L, -0.35 * W);
    const rx = 3.4 * id.earSize * Math.max(0.35, 1 - side * sinY * 0.6), ry = 6 * id.earSize;
    out.push(`<ellipse cx="${f1(e[0])}" cy="${f1(e[1])}" rx="${f1(rx)}" ry="${f1(ry)}" fill="${hex(shade(skin, 0.9))}" stroke="${hex(shade(skin, 0.7))}" stroke-width="0.5"/>`);
  }
  const half: Pt[] = [[id.face.temple * W, -0.62 * L], [W, -0.05 * L], [id.face.jaw * W, 0.55 * L], [id.face.chin * W, 0.93 * L]];
  const outline: Pt[] = [P(0, -L), ...half.map(([x, y]) => P(x, y)), P(0, L), ...half.slice().reverse().map(([x, y]) => P(-x, y))];
  out.push(`<path d="${closedCurve(outline)}" fill="url(#skin)" stroke="${hex(shade(skin, 0.75))}" stroke-width="0.4"/>`);
  const zF = 0.6 * W; // depth of the front of the face
  for (const side of [-1, 1]) {
    const c = P(side * 0.55 * W, 0.26 * L, zF);
    out.push(`<ellipse cx="${f1(c[0])}" cy="${f1(c[1])}" rx="${f1(4.5 * cosY)}" ry="3" fill="${hex(mix(skin, [220, 90, 90], 0.5))}" fill-opacity="0.16"/>`);
  }
  if (id.mole) {
    const m = P(id.mole[0] * W, id.mole[1] * L, zF);
    out.push(`<circle cx="${f1(m[0])}" cy="${f1(m[1])}" r="0.8" fill="#46302a"/>`);
  }

  // ---- geometry shared by nose, mouth and facial hair ---------------------------------------------
  const ey = -id.eyes.height * L;
  const ny = Math.min(ey + 0.42 * L * id.nose.length, 0.34 * L);
  const my = Math.max(id.mouth.height * L, ny + 5);
  const mw = 0.3 * W * id.mouth.width;
  const lt = id.mouth.lip;
  const zM = 0.72 * W;

  // ---- facial hair behind the mouth ----------------------------------------------------------------
  const hairOpacity = id.facialHair === 'stubble' ? 0.3 : 0.93;
  if (id.facialHair === 'full' || id.facialHair === 'stubble') {
    const zB = 0.45 * W;
    const outer: Pt[] = [P(-0.99 * W, -0.08 * L, zB), P(-id.face.jaw * W * 1.03, 0.56 * L, zB), P(-id.face.chin * W * 1.05, 0.95 * L, zB),
      P(0, L + 1.6, zB), P(id.face.chin * W * 1.05, 0.95 * L, zB), P(id.face.jaw * W * 1.03, 0.56 * L, zB), P(0.99 * W, -0.08 * L, zB)];
    const inner: Pt[] = [P(0.8 * W, -0.02 * L, zB), P(0.62 * W, 0.4 * L, zM), P(0.3 * W, my + 3.5, zM), P(0, my + 3.8, zM),
      P(-0.3 * W, my + 3.5, zM), P(-0.62 * W, 0.4 * L, zM), P(-0.8 * W, -0.02 * L, zB)];
    out.push(`<path d="M${pt(outer[0])}${openCurve(outer)}L${pt(inner[0])}${openCurve(inner)}Z" ${hairFill} fill-opacity="${hairOpacity}"/>`);
  }
  if (id.facialHair === 'goatee') {
    const top = my + 1.7 * lt + 0.8, c = P(0, (top + L) / 2 + 0.6, zM);
    out.push(`<ellipse cx="${f1(c[0])}" cy="${f1(c[1])}" rx="${f1(mw * 0.85 * cosY)}" ry="${f1((L - top) / 2 + 1.1)}" ${hairFill}/>`);
  }

  // ---- nose ----------------------------------------------------------------------------------------
  const nw = 0.16 * W * id.nose.width;
  const noseInk = `stroke="${hex(shade(skin, 0.62))}" fill="none" stroke-linecap="round"`;
  const bridgeTop = P(0.12 * W, ey + 2, 0.7 * W), tip = P(0.06 * W, ny - 1, W);
  if (id.nose.style !== 'button') {
    out.push(`<path d="M${pt(bridgeTop)}Q${pt(P(0.16 * W, (ey + ny) / 2, 0.85 * W))} ${pt(tip)}" ${noseInk} stroke-width="0.6" stroke-opacity="0.7"/>`);
  } else {
    const hl = P(0, ny - 1.2, W);
    out.push(`<ellipse cx="${f1(hl[0])}" cy="${f1(hl[1])}" rx="${f1(nw * 0.6 * cosY)}" ry="${f1(nw * 0.5)}" fill="${hex(shade(skin, 1.08))}"/>`);
  }
  const bl = P(-nw, ny - 1.4, 0.85 * W), br = P(nw, ny - 1.4, 0.85 * W), bm = P(0, ny + 1.2, W);
  out.push(`<path d="M${pt(bl)}Q${pt(through(bl, br, bm))} ${pt(br)}" ${noseInk} stroke-width="0.7"/>`);
  if (id.nose.style === 'wide') {
    for (const side of [-1, 1]) {
      const a = P(side * nw * 1.1, ny - 3.5, 0.8 * W), b = P(side * nw * 0.55, ny + 0.4, 0.9 * W);
      out.push(`<path d="M${pt(a)}Q${pt(P(side * nw * 1.7, ny - 0.5, 0.8 * W))} ${pt(b)}" ${noseInk} stroke-width="0.7"/>`);
    }
  }
  for (const side of [-1, 1]) {
    const c = P(side * nw * 0.45, ny - 0.2, 0.92 * W);
    out.push(`<ellipse cx="${f1(c[0])}" cy="${f1(c[1])}" rx="${f1(0.95 * cosY)}" ry="0.55" fill="${hex(shade(skin, 0.45))}"/>`);
  }

  // ---- mouth ------------------------------------------------------------------------------------------
  const s = v.smile, o = v.mouthOpen;
  const cornerY = my - s * 1.8;
  const ML = P(-mw, cornerY, 0.6 * W), MR = P(mw, cornerY, 0.6 * W);
  const upTop = P(0, my - 1.25 * lt + s * 0.5, zM), upIn = P(0, my + s * 1.1 - o * 1.4, zM);
  const loIn = P(0, my + s * 1.1 + o * 2.2, zM), loBot = P(0, my + s * 1.1 + o * 2.2 + 1.7 * lt, zM);
  const upL = P(-mw * 0.45, my - 1.7 * lt + s * 0.1, zM), upR = P(mw * 0.45, my - 1.7 * lt + s * 0.1, zM);
  const lip = hex(id.mouth.colour);
  if (o > 0) {
    out.push(`<path d="M${pt(ML)}Q${pt(through(ML, MR, upIn))} ${pt(MR)}Q${pt(through(MR, ML, loIn))} ${pt(ML)}Z" fill="#3c1414"/>`);
    out.push(`<path d="M${pt(P(-mw * 0.7, cornerY + 0.3, zM))}Q${pt(through(P(-mw * 0.7, cornerY + 0.3, zM), P(mw * 0.7, cornerY + 0.3, zM), P(0, my + s * 1.1 - o * 1.4 + 0.5, zM)))} ${pt(P(mw * 0.7, cornerY + 0.3, zM))}" stroke="#f2efe8" stroke-width="${f1(Math.min(o * 1.3, 1.4))}" fill="none"/>`);
  }
  out.push(`<path d="M${pt(ML)}Q${pt(through(ML, upTop, upL))} ${pt(upTop)}Q${pt(through(upTop, MR, upR))} ${pt(MR)}` +
    `Q${pt(through(MR, ML, upIn))} ${pt(ML)}Z" fill="${lip}"/>`);
  out.push(`<path d="M${pt(ML)}Q${pt(through(ML, MR, loIn))} ${pt(MR)}Q${pt(through(MR, ML, loBot))} ${pt(ML)}Z" fill="${hex(shade(id.mouth.colour, 1.08))}"/>`);
  out.push(`<path d="M${pt(ML)}Q${pt(through(ML, MR, upIn))} ${pt(MR)}" stroke="${hex(shade(id.mouth.colour, 0.5))}" stroke-width="0.45" fill="none"/>`);
  if (id.facialHair === 'moustache' || id.facialHair === 'goatee' || id.facialHair === 'full') {
    const a = P(-mw * 1.15, my + 0.6, zM), b = P(mw * 1.15, my + 0.6, zM);
    const top = P(0, ny + 1.6, W), bottom = P(0, my - 1.25 * lt - 0.2, zM);
    out.push(`<path d="M${pt(a)}Q${pt(through(a, b, top))} ${pt(b)}Q${pt(through(b, a, bottom))} ${pt(a)}Z" ${hairFill} fill-opacity="${hairOpacity}"/>`);
  }

  // ---- eyes and brows -------------------------------------------------------------------------------
  const ew = 0.2 * W * id.eyes.size;
  const ratio = { round: 0.62, almond: 0.45, narrow: 0.3 }[id.eyes.shape];
  const eh = Math.max(ew * ratio * v.eyeOpen, 0.25);
  const zE = 0.5 * W;
  const browInk = hex(mix(shade(hair, 0.7), [30, 22, 18], 0.35));
  const eyeCentres: Pt[] = [];
  for (const side of [-1, 1]) {
    const ex = side * id.eyes.spacing * W;
    const c = P(ex, ey, zE);
    eyeCentres.push(c);
    const sq = Math.max(0.45, cosY - side * sinY * 0.25);
    const eye = `M${-f1(ew)} 0Q0 ${f1(-2 * eh)} ${f1(ew)} 0Q0 ${f1(2 * eh)} ${-f1(ew)} 0Z`;
    const clip = `eye${side < 0 ? 'L' : 'R'}`;
    out.push(`<g transform="translate(${pt(c)}) rotate(${f1(-side * id.eyes.tilt)}) scale(${f1(sq)} 1)">` +
      `<clipPath id="${clip}"><path d="${eye}"/></clipPath><path d="${eye}" fill="#f4f1ec"/>` +
      `<g clip-path="url(#${clip})"><circle cx="${f1(v.gaze * ew)}" cy="0" r="${f1(ew * 0.5)}" fill="${hex(id.eyes.iris)}"/>` +
      `<circle cx="${f1(v.gaze * ew)}" cy="0" r="${f1(ew * 0.22)}" fill="#101010"/>` +
      `<circle cx="${f1(v.gaze * ew + ew * 0.15)}" cy="${f1(-ew * 0.15)}" r="${f1(ew * 0.09)}" fill="#ffffff"/></g>` +
      `<path d="M${-f1(ew)} 0Q0 ${f1(-2 * eh)} ${f1(ew)} 0" stroke="#241a16" stroke-width="0.75" fill="none"/>` +
      `<path d="M${-f1(ew)} 0Q0 ${f1(2 * eh)} ${f1(ew)} 0" stroke="${hex(shade(skin, 0.6))}" stroke-width="0.3" fill="none"/></g>`);
    const bw = ew * 1.15 * id.brows.length;
    const by = ey - eh - id.brows.gap - v.browRaise * 1.1;
    const inner = P(ex - side * bw * 0.9, by + id.brows.tilt - v.browRaise * 0.4, 0.55 * W);
    const outer = P(ex + side * bw, by + 1.2, 0.5 * W);
    const mid = P(ex + side * bw * 0.1, by - id.brows.arch, 0.55 * W);
    out.push(`<path d="M${pt(inner)}Q${pt(through(inner, outer, mid))} ${pt(outer)}" stroke="${browInk}" ` +
      `stroke-width="${f1(id.brows.thickness)}" stroke-linecap="round" fill="none"/>`);
  }

  // ---- glasses ----------------------------------------------------------------------------------------
  if (id.glasses.style !== 'none') {
    const frame = `stroke="${hex(id.glasses.colour)}" stroke-width="1.05" fill="#ffffff" fill-opacity="0.1"`;
    const rx = ew * 1.45 * id.glasses.size, ry = ew * 1.15 * id.glasses.size;
    for (let k = 0; k < 2; k++) {
      const c = eyeCentres[k], side = k === 0 ? -1 : 1;
      const rxs = rx * Math.max(0.5, cosY - side * sinY * 0.25);
      if (id.glasses.style === 'round') out.push(`<ellipse cx="${f1(c[0])}" cy="${f1(c[1])}" rx="${f1(rxs)}" ry="${f1(ry)}" ${frame}/>`);
      else out.push(`<rect x="${f1(c[0] - rxs)}" y="${f1(c[1] - ry * 0.85)}" width="${f1(2 * rxs)}" height="${f1(1.7 * ry)}" rx="1.4" ${frame}/>`);
      const ear = P(side * 0.97 * W, ey, -0.2 * W);
      out.push(`<path d="M${pt([c[0] + side * rxs, c[1] - ry * 0.3])}L${pt(ear)}" stroke="${hex(id.glasses.colour)}" stroke-width="0.9"/>`);
    }
    const [l, r] = eyeCentres;
    out.push(`<path d="M${pt([l[0] + rx * cosY * 0.9, l[1] - ry * 0.3])}Q${pt([(l[0] + r[0]) / 2, (l[1] + r[1]) / 2 - ry * 0.8])} ${pt([r[0] - rx * cosY * 0.9, r[1] - ry * 0.3])}" ` +
      `stroke="${hex(id.glasses.colour)}" stroke-width="0.9" fill="none"/>`);
  }

  // ---- hair on top -------------------------------------------------------------------------------------
  const hl = id.hair.hairline;
  const zH = 0.15 * W;
  const HP = (x: number, y: number): Pt => P(x, y, zH);
  if (style === 'bald') {
    for (const side of [-1, 1]) {
      const a = P(side * 1.02 * W, -0.52 * L), b = P(side * 0.97 * W, -0.02 * L);
      out.push(`<path d="M${pt(a)}Q${pt(P(side * 1.12 * W, -0.3 * L))} ${pt(b)}Q${pt(P(side * 0.86 * W, -0.3 * L))} ${pt(a)}Z" ${hairFill}/>`);
    }
  } else if (style === 'spiky') {
    const pts: Pt[] = [];
    const n = 13;
    for (let i = 0; i <= n; i++) {
      const th = Math.PI + (i / n) * Math.PI;
      const rr = i % 2 === 0 ? 1 : 1.18;
      pts.push(P(Math.cos(th) * W * 1.04 * (i % 2 === 0 ? 1 : 1.06), -0.2 * L + Math.sin(th) * (0.82 * L + vol) * rr - (i % 2 === 0 ? 0 : 1)));
    }
    out.push(`<path d="M${pts.map(pt).join('L')}L${pt(HP(0.92 * W, -hl * L))}Q${pt(HP(0, -hl * L - 3))} ${pt(HP(-0.92 * W, -hl * L))}Z" ${hairFill}/>`);
  } else if (style !== 'curly') {
    const lift = style === 'buzz' ? 0.8 : vol;
    const spread = style === 'buzz' ? 1.0 : 1.06;
    let line: string;
    const tl = HP(0.92 * W, -hl * L), tr = HP(-0.92 * W, -hl * L);
    if (style === 'sidePart' || style === 'short' && id.hair.part > 0 && vol > 4) {
      const p = id.hair.part;
      const partPt = HP(p * 0.35 * W, -0.98 * L), sweep = HP(-p * 0.95 * W, -0.32 * L);
      const start = p > 0 ? tl : tr, end = p > 0 ? tr : tl;
      line = `L${pt(start)}Q${pt(HP(p * 0.7 * W, -0.95 * L))} ${pt(partPt)}Q${pt(HP(-p * 0.3 * W, -0.62 * L))} ${pt(sweep)}L${pt(end)}`;
      if (p < 0) {
        // the path runs right to left; build the mirrored sweep in that order
        line = `L${pt(tl)}L${pt(sweep)}Q${pt(HP(-p * 0.3 * W, -0.62 * L))} ${pt(partPt)}Q${pt(HP(p * 0.7 * W, -0.95 * L))} ${pt(tr)}`;
      }
    } else if (style === 'bob') {
      const fy = -0.42 * L;
      line = `L${pt(HP(1.0 * W, 0.1 * L))}L${pt(HP(0.8 * W, fy))}Q${pt(HP(0, fy - 1.5))} ${pt(HP(-0.8 * W, fy))}L${pt(HP(-1.0 * W, 0.1 * L))}`;
    } else if (style === 'long') {
      line = `L${pt(HP(0.98 * W, 0.15 * L))}Q${pt(HP(0.75 * W, -0.75 * L))} ${pt(HP(0, -0.96 * L))}Q${pt(HP(-0.75 * W, -0.75 * L))} ${pt(HP(-0.98 * W, 0.15 * L))}`;
    } else {
      line = `L${pt(tl)}Q${pt(HP(0, -hl * L - 2.5))} ${pt(tr)}`;
    }
    out.push(`<path d="${capOuter(spread, -0.22 * L, lift)}${line}Z" ${hairFill}${style === 'buzz' ? ' fill-opacity="0.8"' : ''}/>`);
    if (style === 'bun') {
      const b = P(0, -L - vol - 3.5, zH);
      out.push(`<circle cx="${f1(b[0])}" cy="${f1(b[1])}" r="5.5" ${hairFill} stroke="${hex(shade(hair, 0.75))}" stroke-width="0.5"/>`);
    }
  } else {
    for (const [u, w, r] of id.hair.curls.slice(0, 14)) {
      const c = P(u * W * 0.85, -0.86 * L - w * vol * 0.6, zH);
      out.push(`<circle cx="${f1(c[0])}" cy="${f1(c[1])}" r="${f1(3.4 * r)}" ${hairFill} stroke="${hex(shade(hair, 0.75))}" stroke-width="0.5"/>`);
    }
  }
  out.push('</g>');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">${out.join('')}</svg>`;
}

/** Output encoding of a rendered face. */
export interface EncodeOptions {
  format: 'jpeg' | 'png';
  /** JPEG quality, 1..100. */
  quality: number;
}

/**
 * Rasterises one photo: the SVG from {@link faceSvg}, then blur, directional lighting, colour tint,
 * contrast and near-Gaussian sensor noise (drawn from `noiseRng`), then JPEG or PNG encoding.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export async function renderFace(id: FaceIdentity, v: FaceVariation, size: number, noiseRng: Rng, encode: EncodeOptions): Promise<Buffer> {
  let img = sharp(Buffer.from(faceSvg(id, v, size)));
  const sigma = (v.blur * size) / 128;
  if (sigma >= 0.3) img = img.blur(sigma);
  const raw = await img.removeAlpha().raw().toBuffer();
  const out = Buffer.alloc(size * size * 3);
  const { brightness, strength, angle, tint, contrast } = v.light;
  const a = (angle * Math.PI) / 180;
  const lx = (2 * strength * Math.cos(a)) / size, ly = (2 * strength * Math.sin(a)) / size;
  const half = size / 2;
  // Sensor noise: the sum of four uniform bytes of one 32-bit draw (Irwin-Hall), centred and scaled to
  // unit variance: close to Gaussian within +-3.5 sigma, and far cheaper than a normal sampler.
  const noiseScale = v.noise / Math.sqrt((4 * (256 * 256 - 1)) / 12);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const gain = brightness * (1 + (x - half) * lx + (y - half) * ly);
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const r = noiseRng.nextUint32();
        const n = (r & 255) + ((r >>> 8) & 255) + ((r >>> 16) & 255) + (r >>> 24) - 510;
        const value = (raw[i + c] * gain * tint[c] - 128) * contrast + 128 + n * noiseScale;
        out[i + c] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
      }
    }
  }
  const pipe = sharp(out, { raw: { width: size, height: size, channels: 3 } });
  return encode.format === 'jpeg'
    ? pipe.jpeg({ quality: encode.quality, chromaSubsampling: '4:2:0' }).toBuffer()
    : pipe.png({ compressionLevel: 9, adaptiveFiltering: false }).toBuffer();
}
