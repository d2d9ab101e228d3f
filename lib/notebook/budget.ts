/**
 * A notebook's time budget, as its header cell promises it to a workshop:
 *
 *   *Time budget: under 2 minutes on 2 cores once `npm run workshop:prepare` has run (first run: under 6 minutes).*
 *
 * "under N minutes" is the budget with the caches warm (data generated, images decoded, experiments trained),
 * the one a class sees. "first run: under M minutes" is the budget of a run that fills those caches; it is
 * optional and defaults to the warm budget (a notebook that caches nothing costs the same every time).
 * The notebook test and `siamese workshop prepare` both check these numbers.
 */
import { sourceText, type Notebook } from './format';

/** Every notebook must fit a class: the warm budget may not exceed this many minutes. */
export const WORKSHOP_MAX_MINUTES = 2;

export interface NotebookBudget {
  /** Seconds allowed once the caches are warm. */
  readonly warmSeconds: number;
  /** Seconds allowed for a run that fills the caches. */
  readonly firstRunSeconds: number;
}

const WARM = /Time budget: under (\d+(?:\.\d+)?) minutes?/i;
const FIRST_RUN = /first run: under (\d+(?:\.\d+)?) minutes?/i;

/** Whether a notebook fills caches: its header promises a longer first run than a warm one (it trains). */
export function fillsCaches(budget: NotebookBudget): boolean {
  return budget.firstRunSeconds > budget.warmSeconds;
}

/** Reads the budget from the header cell; throws naming the file when there is none. */
export function notebookBudget(nb: Notebook, file = 'notebook'): NotebookBudget {
  const header = nb.cells[0] ? sourceText(nb.cells[0]) : '';
  const warm = WARM.exec(header);
  if (!warm) throw new Error(`${file}, cell 1: no "Time budget: under N minutes" line in the header`);
  const first = FIRST_RUN.exec(header);
  const warmSeconds = Number(warm[1]) * 60;
  const firstRunSeconds = first ? Number(first[1]) * 60 : warmSeconds;
  if (firstRunSeconds < warmSeconds) {
    throw new Error(`${file}, cell 1: the first-run budget (${first![1]} min) is below the warm budget (${warm[1]} min)`);
  }
  return { warmSeconds, firstRunSeconds };
}
