import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkNotebook, checkNotebookFile, fillsCaches, formatProblems, listNotebooks, notebookBudget, TSLAB_METADATA, type Notebook,
} from '../../lib/notebook';

function notebook(cells: Array<[('markdown' | 'code'), string, string[]?]>): Notebook {
  return {
    cells: cells.map(([cell_type, source, tags], i) => ({
      cell_type, id: `c${i}`, source, metadata: tags ? { tags } : {}, ...(cell_type === 'code' ? { outputs: [], execution_count: null } : {}),
    })),
    metadata: { ...TSLAB_METADATA }, nbformat: 4, nbformat_minor: 5,
  };
}

const HEADER = '# 99 · Test\n\n**Goal:** a goal.\n\n**Prerequisites:** none.\n\n*Time budget: under 1 minute on 2 cores.*';
const ENDING = '## Summary\n\n- done\n\n## Exercises\n\n1. one';

test('a well-formed notebook passes', () => {
  const nb = notebook([['markdown', HEADER], ['code', 'const x = 1;\nconsole.log(x);'], ['markdown', ENDING]]);
  assert.deepEqual(checkNotebook(nb, '99-test.ipynb'), []);
});

test('missing header, summary and exercises are each reported', () => {
  const nb = notebook([['code', 'const x = 1;']]);
  const messages = checkNotebook(nb, '99-test.ipynb').map((p) => p.message).join('\n');
  assert.match(messages, /first cell must be markdown/);
  assert.match(messages, /no "## Summary"/);
  assert.match(messages, /no "## Exercises"/);
  const noGoal = notebook([['markdown', '# Title only'], ['markdown', ENDING]]);
  assert.match(formatProblems(checkNotebook(noGoal, '99-test.ipynb')), /99-test.ipynb, cell 1: the header cell has no "Goal:" line/);
});

test('cells without a valid, unique id (nbformat 4.5) are rejected', () => {
  const nb = notebook([['markdown', HEADER], ['code', 'console.log(1)'], ['code', 'console.log(2)'], ['markdown', ENDING]]);
  delete nb.cells[1].id;
  nb.cells[2].id = 'c0';
  nb.cells[3].id = 'has space';
  const text = formatProblems(checkNotebook(nb, '99-test.ipynb'));
  assert.match(text, /cell 2: has no valid cell id/);
  assert.match(text, /cell 3: repeats the cell id "c0"/);
  assert.match(text, /cell 4: has no valid cell id/);
  assert.match(formatProblems(checkNotebook({ ...notebook([['markdown', HEADER], ['markdown', ENDING]]), nbformat_minor: 4 }, '99-test.ipynb')), /nbformat 4\.4: cell ids need 4\.5/);
});

test('committed outputs are rejected', () => {
  const nb = notebook([['markdown', HEADER], ['code', 'console.log(1)'], ['markdown', ENDING]]);
  nb.cells[1].outputs = [{ output_type: 'stream', name: 'stdout', text: '1\n' }];
  assert.match(formatProblems(checkNotebook(nb, '99-test.ipynb')), /cell 2: has outputs/);
});

test('long cells and function or class definitions are rejected', () => {
  const long = Array.from({ length: 16 }, (_, i) => `const v${i} = ${i};`).join('\n');
  const defs = ['function f(x: number) { return x; }', 'class A {}', 'const f = (x: number) => x * 2;', 'const g = async () => 1;', 'let h = x => x;'];
  for (const src of defs) {
    const nb = notebook([['markdown', HEADER], ['code', src], ['markdown', ENDING]]);
    assert.match(formatProblems(checkNotebook(nb, '99-test.ipynb')), /defines a function or class/, src);
  }
  const nb = notebook([['markdown', HEADER], ['code', long], ['markdown', ENDING]]);
  assert.match(formatProblems(checkNotebook(nb, '99-test.ipynb')), /cell 2: has 16 lines \(at most 15/);
  const callbacks = notebook([['markdown', HEADER], ['code', 'const ys = xs.map((x) => x * 2);\nconst ok = ys.every((y) => y > 0);'], ['markdown', ENDING]]);
  assert.deepEqual(checkNotebook(callbacks, '99-test.ipynb'), [], 'inline callbacks are not definitions');
});

test('a from-scratch cell may define functions but must end with an assertion', () => {
  const body = Array.from({ length: 20 }, (_, i) => `const v${i} = ${i};`).join('\n');
  const good = notebook([['markdown', HEADER], ['code', `function loss(d: number) { return d * d; }\n${body}\nassert.equal(loss(2), lib(2));`, ['from-scratch']], ['markdown', ENDING]]);
  assert.deepEqual(checkNotebook(good, '99-test.ipynb'), []);
  const bad = notebook([['markdown', HEADER], ['code', 'function loss(d: number) { return d * d; }\nconsole.log(loss(2));', ['from-scratch']], ['markdown', ENDING]]);
  assert.match(formatProblems(checkNotebook(bad, '99-test.ipynb')), /must end by asserting/);
});

test('the name must be NN-kebab-title.ipynb and the kernel tslab', () => {
  const nb = notebook([['markdown', HEADER], ['markdown', ENDING]]);
  assert.match(formatProblems(checkNotebook(nb, 'Test Notebook.ipynb')), /not NN-kebab-title/);
  nb.metadata = {};
  assert.match(formatProblems(checkNotebook(nb, '99-test.ipynb')), /kernelspec is not tslab/);
});

test('every committed notebook passes the checker', () => {
  const files = listNotebooks();
  assert.ok(files.length >= 1);
  const problems = files.flatMap((f) => checkNotebookFile(f));
  assert.equal(formatProblems(problems), '');
});

test('the time budget: warm and first-run minutes are read from the header, and a class-sized limit is enforced', () => {
  const withFirst = notebook([['markdown', `${HEADER.replace(/\*Time.*\*/, '')}*Time budget: under 2 minutes on 2 cores once the caches are warm (first run: under 6 minutes).*`], ['markdown', ENDING]]);
  assert.deepEqual(notebookBudget(withFirst), { warmSeconds: 120, firstRunSeconds: 360 });
  assert.deepEqual(checkNotebook(withFirst, '99-test.ipynb'), []);
  assert.deepEqual(notebookBudget(notebook([['markdown', HEADER]])), { warmSeconds: 60, firstRunSeconds: 60 }, 'no first-run budget: the same');
  assert.equal(fillsCaches(notebookBudget(withFirst)), true, 'a longer first run: the notebook fills caches');
  assert.equal(fillsCaches(notebookBudget(notebook([['markdown', HEADER]]))), false, 'no first-run budget: it caches nothing');
  const tooLong = notebook([['markdown', HEADER.replace('under 1 minute', 'under 5 minutes')], ['markdown', ENDING]]);
  assert.match(formatProblems(checkNotebook(tooLong, '99-test.ipynb')), /cell 1: the time budget is 5 minutes; a workshop notebook must fit in 2/);
  const none = notebook([['markdown', HEADER.replace(/\*Time.*\*/, '')], ['markdown', ENDING]]);
  assert.match(formatProblems(checkNotebook(none, '99-test.ipynb')), /cell 1: no "Time budget: under N minutes" line/);
  assert.throws(() => notebookBudget(none, 'x.ipynb'), /x\.ipynb, cell 1: no "Time budget/);
  const inverted = notebook([['markdown', HEADER.replace('1 minute on 2 cores.', '2 minutes (first run: under 1 minute).')]]);
  assert.throws(() => notebookBudget(inverted, 'y.ipynb'), /y\.ipynb, cell 1: the first-run budget \(1 min\) is below the warm budget \(2 min\)/);
});
