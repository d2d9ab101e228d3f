import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../lib/util/rng';
import { STREAMS, stream, type StreamName } from '../../lib/util/streams';
import { splitRng } from '../../lib/data/split';

test('each named stream is the seed fork it always was (same key, same numbers)', () => {
  for (const name of Object.keys(STREAMS) as StreamName[]) {
    assert.equal(STREAMS[name], name, 'the fork name is the stream name: renaming one changes every number drawn from it');
    const s = stream(7, name);
    const old = new Rng(7).fork(name);
    assert.equal(s.key, `7/${name}`);
    assert.deepEqual([s.float(), s.float(), s.int(1000)], [old.float(), old.float(), old.int(1000)]);
  }
  assert.equal(splitRng(3).key, '3/split');
});
