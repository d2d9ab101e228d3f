/**
 * Text for the applications' command-line answers: a search result as table rows (rank, person, file,
 * distance, what verification would say about the pair) and a clustering as one line per cluster.
 *
 * @see notebooks/08-applications.ipynb
 */
import * as path from 'node:path';
import { decide } from '../faces/verify';
import type { VerifyModelSettings } from '../faces/verify-model';
import type { SearchHit } from './retrieval';

/**
 * Rows for `textTable`: each hit with its distance and the verdict verification would give the query and
 * that face (`same` / `different` / `uncertain` at the model's threshold). Files are shown relative to `root`.
 */
export function searchRows(hits: readonly SearchHit[], settings: Pick<VerifyModelSettings, 'threshold' | 'uncertainBand' | 'higherIsCloser'>, root: string): Record<string, string>[] {
  const unit = settings.higherIsCloser ? 'score' : 'distance';
  return hits.map((h) => ({
    rank: String(h.rank),
    person: h.person,
    file: path.relative(root, h.file) || h.file,
    [unit]: h.value.toFixed(3),
    verdict: decide(h.value, settings),
  }));
}

/** One line per cluster: its number, size, and files relative to `root` (at most `maxFiles`, then "+N more"). */
export function clusterLines(clusters: readonly (readonly string[])[], root: string, maxFiles = 8): string[] {
  return clusters.map((files, k) => {
    const shown = files.slice(0, maxFiles).map((f) => path.relative(root, f) || f);
    const more = files.length > maxFiles ? `, +${files.length - maxFiles} more` : '';
    return `cluster ${k + 1} (${files.length} face${files.length === 1 ? '' : 's'}): ${shown.join(', ')}${more}`;
  });
}
