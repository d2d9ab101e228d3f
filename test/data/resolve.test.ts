import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataHome, existingSynthetic, findDownloadedLfw, openData, resolveData, type SyntheticStep } from '../../lib/data';
import { makeLfwFolder, tempDir } from './fixtures';

test('the resolver goes LFW_DIR, then --dir, then a downloaded LFW in the data home, then the synthetic set', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const envLfw = path.join(dir, 'env-lfw');
    const flag = path.join(dir, 'flag');
    const home = path.join(dir, 'home');
    await makeLfwFolder(envLfw, [1]);
    await makeLfwFolder(flag, [1]);
    const lines: string[] = [];
    const log = (l: string): void => void lines.push(l);
    let synthCalls = 0;
    const synthetic: SyntheticStep = async (h, say) => {
      synthCalls++;
      say('making the synthetic set');
      await makeLfwFolder(path.join(h, 'synth'), [2, 2]);
      return { root: path.join(h, 'synth'), crop: { kind: 'none' } };
    };
    const opts = { home, log, synthetic };

    let r = await resolveData({ ...opts, dir: flag, env: { LFW_DIR: envLfw } });
    assert.deepEqual([r.source, r.root], ['LFW_DIR', envLfw]);
    assert.match(lines.at(-1)!, /^data: .*env-lfw \(from LFW_DIR; --dir .*flag ignored because LFW_DIR is set\)$/);
    // the same folder both ways: nothing is ignored, so nothing is said about it
    await resolveData({ ...opts, dir: `${envLfw}/`, env: { LFW_DIR: envLfw } });
    assert.match(lines.at(-1)!, /^data: .*env-lfw \(from LFW_DIR\)$/);

    r = await resolveData({ ...opts, dir: flag, env: {} });
    assert.deepEqual([r.source, r.root], ['--dir', flag]);

    r = await resolveData({ ...opts, env: {} });
    assert.deepEqual([r.source, r.root, r.crop], ['synthetic', path.join(home, 'synth'), { kind: 'none' }]);
    assert.equal(synthCalls, 1);
    assert.match(lines.at(-1)!, /the built-in synthetic set: LFW_DIR is unset, no --dir, no downloaded LFW/);

    // A downloaded LFW (as the archive unpacks: home/lfw/lfw/<Person>) wins over the synthetic set.
    await makeLfwFolder(path.join(home, 'lfw', 'lfw'), [1, 1]);
    r = await resolveData({ ...opts, env: {} });
    assert.deepEqual([r.source, r.root], ['data-home-lfw', path.join(home, 'lfw', 'lfw')]);
    assert.equal(synthCalls, 1);

    const { dataset } = await openData({ ...opts, env: {}, cache: null });
    assert.equal(dataset.numPeople, 2);
    assert.equal(dataset.crop.kind, 'center');
  } finally {
    cleanup();
  }
});

test('an LFW_DIR or --dir that is not a dataset is an error, not a fallback', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const quiet = { log: null, home: dir };
    await assert.rejects(resolveData({ ...quiet, env: { LFW_DIR: path.join(dir, 'nope') } }), /LFW_DIR is ".*nope", but .*nope is not a folder/);
    fs.mkdirSync(path.join(dir, 'empty'));
    await assert.rejects(resolveData({ ...quiet, env: {}, dir: path.join(dir, 'empty') }), /--dir is .* has no person folders with images/);
    // No data at all, and no synthetic generator: say what to do.
    await assert.rejects(resolveData({ ...quiet, env: {}, synthetic: existingSynthetic }), /no face data found: set LFW_DIR .*`siamese data lfw`.*`siamese data synth`/);
    assert.equal(await findDownloadedLfw(dir), null);
  } finally {
    cleanup();
  }
});

test('SIAMESE_DATA sets the data home', () => {
  assert.equal(dataHome({ SIAMESE_DATA: '/tmp/x-data' }), '/tmp/x-data');
  assert.match(dataHome({}), /\/data$/);
});
