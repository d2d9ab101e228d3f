/**
 * The decision threshold that maximises accuracy on the data it is given. Give it validation (or
 * training-fold) data only, then apply the result to test data with `accuracyAt`: choosing a threshold on
 * the test pairs themselves overstates accuracy.
 *
 * Candidates: one threshold below every value (accept all), the midpoint between each two neighbouring
 * distinct values, and one above every value (accept none). The ends sit half a mean gap outside the data
 * ((max − min) / (2 (m − 1)) for m distinct values, 0.5 when all values are equal). When several candidates
 * reach the best accuracy, the middle one of the first run of consecutive best candidates (in order of
 * increasing closeness; the lower middle for an even run) is chosen, so a wide plateau gives a threshold in
 * its centre rather than on an edge. Ties between values are handled by treating equal values as one group.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import type { IsSame } from '../data/types';
import { checkScored, closeness, type Direction } from './scored';

/** The chosen threshold and what it achieves on the data it was chosen on. */
export interface ThresholdFit {
  /** In the values' own units; accept when on the close side or equal. */
  readonly threshold: number;
  /** Accuracy on the fitting data (optimistic as an estimate for new data). */
  readonly accuracy: number;
  /** Number of pairs it was fitted on. */
  readonly n: number;
}

interface Group {
  readonly c: number;
  pos: number;
  neg: number;
}

/** Equal closeness values grouped, in increasing closeness. */
export function groupByValue(c: readonly number[], isSame: readonly IsSame[]): Group[] {
  const order = c.map((_, i) => i).sort((i, j) => c[i] - c[j]);
  const groups: Group[] = [];
  for (const i of order) {
    const last = groups[groups.length - 1];
    if (last && last.c === c[i]) {
      if (isSame[i]) last.pos++; else last.neg++;
    } else {
      groups.push({ c: c[i], pos: isSame[i] ? 1 : 0, neg: isSame[i] ? 0 : 1 });
    }
  }
  return groups;
}

/** Fits the accuracy-maximising threshold on `values`/`isSame` (see the module comment). Throws for no pairs. */
export function bestThreshold(values: readonly number[], isSame: readonly IsSame[], dir: Direction): ThresholdFit {
  checkScored(values, isSame, dir, 'bestThreshold');
  const n = values.length;
  if (n === 0) throw new RangeError('bestThreshold: no pairs to fit a threshold on');
  const groups = groupByValue(closeness(values, dir), isSame);
  const m = groups.length;
  const pad = m > 1 ? (groups[m - 1].c - groups[0].c) / (2 * (m - 1)) : 0.5;
  // Candidate k (0..m) accepts groups k..m-1: correct = positives in k..m-1 + negatives in 0..k-1.
  const totalPos = groups.reduce((s, g) => s + g.pos, 0);
  const correct: number[] = [];
  let posAbove = totalPos;
  let negBelow = 0;
  for (let k = 0; k <= m; k++) {
    correct.push(posAbove + negBelow);
    if (k < m) {
      posAbove -= groups[k].pos;
      negBelow += groups[k].neg;
    }
  }
  const best = Math.max(...correct);
  const start = correct.indexOf(best);
  let end = start;
  while (end + 1 <= m && correct[end + 1] === best) end++;
  const k = Math.floor((start + end) / 2);
  const tc = k === 0 ? groups[0].c - pad : k === m ? groups[m - 1].c + pad : (groups[k - 1].c + groups[k].c) / 2;
  return { threshold: dir.higherIsCloser ? tc : 0 - tc, accuracy: best / n, n };
}
