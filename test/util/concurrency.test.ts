import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settleEach } from '../../lib/util';

test('settleEach: at most `concurrency` in flight, every item tried, results in the items\' order', async () => {
  let inFlight = 0;
  let most = 0;
  const started: number[] = [];
  const results = await settleEach([5, 1, 4, 2, 3, 0], 2, async (ms, i) => {
    started.push(i);
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, ms * 3));
    inFlight -= 1;
    if (i === 3) throw new Error(`item ${i} failed`);
    return ms * 10;
  });
  assert.equal(most, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5], 'started in order');
  assert.deepEqual(results.map((r) => (r.ok ? r.value : r.error.message)), [50, 10, 40, 'item 3 failed', 30, 0]);
  assert.deepEqual(await settleEach([], 4, async () => 1), []);
  const odd = await settleEach([1], 8, async () => { throw 'a string'; }); // eslint-disable-line no-throw-literal
  assert.ok(!odd[0].ok && odd[0].error instanceof Error && odd[0].error.message === 'a string');
});
