/**
 * Text for verification results: one verdict as a few readable lines, folder mode as table rows plus a
 * summary (accuracy over the decided pairs, how many were uncertain or had no face).
 *
 * @see notebooks/07-personal-images.ipynb
 */
import * as path from 'node:path';
import type { FolderRow, Verdict } from './verify';

const WORDS: Record<Verdict['decision'], string> = {
  same: 'SAME person',
  different: 'DIFFERENT people',
  uncertain: 'UNCERTAIN (too close to the threshold to call)',
  'no-face': 'NO ANSWER: no face found',
  'not-a-face': 'NO ANSWER: not a face',
};

/**
 * A verdict as lines of text (model, each photo's face note, the decision with distance and threshold, a
 * `warning:` line for each thing that may make it unreliable; with `timing`, the time the pair took).
 */
export function formatVerdict(v: Verdict, description?: string, timing = false): string[] {
  const lines = [`model: ${v.model}${description ? ` (${description})` : ''}`];
  for (const [tag, f] of [['a', v.a], ['b', v.b]] as const) lines.push(`${tag}: ${f.file}: ${f.note}`);
  const lo = v.threshold - v.uncertainBand;
  const hi = v.threshold + v.uncertainBand;
  if (v.decision === 'not-a-face') {
    const which = [v.a, v.b].filter((f) => f.status === 'not-a-face').map((f) => path.basename(f.file));
    lines.push(`verdict: ${WORDS['not-a-face']}: ${which.join(' and ')} ${which.length === 1 ? 'is' : 'are'} not a face (the face check rejected ${which.length === 1 ? 'it' : 'them'}; see the note above)`);
  } else if (v.decision === 'no-face') {
    const missing = [v.a, v.b].filter((f) => !f.embedding).map((f) => path.basename(f.file));
    lines.push(`verdict: ${WORDS['no-face']} in ${missing.join(' and ')} (use --aligned if the images are already face crops)`);
  } else {
    lines.push(`verdict: ${WORDS[v.decision]}`);
    lines.push(`distance ${v.value!.toFixed(3)}, threshold ${v.threshold.toFixed(3)} (uncertain between ${lo.toFixed(3)} and ${hi.toFixed(3)})`);
  }
  for (const w of v.warnings ?? []) lines.push(`warning: ${w}`);
  if (timing) lines.push(`time: ${v.ms.toFixed(0)} ms for this pair (decode, detect, align and describe both photos)`);
  return lines;
}

/** Folder-mode rows for a table: a, b, truth, verdict, distance, and whether the verdict was right. */
export function folderTableRows(rows: readonly FolderRow[], root: string): Record<string, string>[] {
  return rows.map((r) => ({
    a: path.relative(root, r.a),
    b: path.relative(root, r.b),
    truth: r.isSame ? 'same' : 'different',
    verdict: r.verdict.decision,
    distance: r.verdict.value === undefined ? '-' : r.verdict.value.toFixed(3),
    right: r.verdict.decision === 'same' || r.verdict.decision === 'different' ? ((r.verdict.decision === 'same') === (r.isSame === 1) ? 'yes' : 'NO') : '-',
  }));
}

/** Counts for folder mode: decided pairs, right ones, uncertain, no face. */
export function folderSummary(rows: readonly FolderRow[]): { pairs: number; decided: number; right: number; uncertain: number; noFace: number; notAFace: number; accuracy: number } {
  const decided = rows.filter((r) => r.verdict.decision === 'same' || r.verdict.decision === 'different');
  const right = decided.filter((r) => (r.verdict.decision === 'same') === (r.isSame === 1)).length;
  return {
    pairs: rows.length, decided: decided.length, right,
    uncertain: rows.filter((r) => r.verdict.decision === 'uncertain').length,
    noFace: rows.filter((r) => r.verdict.decision === 'no-face').length,
    notAFace: rows.filter((r) => r.verdict.decision === 'not-a-face').length,
    accuracy: decided.length ? right / decided.length : NaN,
  };
}

/** Plain-text table (fixed-width columns) for the terminal. */
export function textTable(rows: readonly Record<string, string>[]): string {
  if (rows.length === 0) return '(no rows)';
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string => cells.map((s, i) => s.padEnd(width[i])).join('  ').trimEnd();
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c] ?? '')))].join('\n');
}

/** The symmetric matrix of pair values over the photos of `rows` (null on the diagonal and where there is no value), with short labels. */
export function pairMatrix(rows: readonly FolderRow[], root: string): { labels: string[]; matrix: (number | null)[][] } {
  const files = [...new Set(rows.flatMap((r) => [r.a, r.b]))];
  const index = new Map(files.map((f, i) => [f, i]));
  const matrix = files.map(() => files.map((): number | null => null));
  for (const r of rows) {
    const v = r.verdict.value ?? null;
    matrix[index.get(r.a)!][index.get(r.b)!] = v;
    matrix[index.get(r.b)!][index.get(r.a)!] = v;
  }
  return { labels: files.map((f) => path.relative(root, f)), matrix };
}
