import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFolds } from '../../lib/cli/commands/eval';
import { ensureSynthetic } from '../../lib/data';
import { accuracyAt, AS_DISTANCE, bestThreshold } from '../../lib/eval';

const root = path.resolve(__dirname, '..', '..');
// LFW_DIR would switch the default protocol to View 2: these tests choose the protocol themselves
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'LFW_DIR'));
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'lib', 'cli', 'main.ts'), 'eval', ...args],
  { cwd: root, encoding: 'utf8', env: { ...env, SIAMESE_BACKEND: 'wasm' }, timeout: 300_000 });

describe('siamese eval', () => {
  let dir: string;
  let faces: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-eval-cli-'));
    faces = path.join(dir, 'faces');
    await ensureSynthetic(faces, { people: 18, perPerson: 4, size: 32, seed: 5, devTrainPairs: 10, devTestPairs: 5, folds: 3, foldPairs: 4 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('scores raw pixels on the held-out people of the default data, threshold from validation only', () => {
    const out = path.join(dir, 'heldout');
    const r = run('--model', 'raw-pixels', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /threshold fitted on the validation people's pairs, applied to the test pairs/);
    assert.match(r.stdout, /model\s+threshold\s+valAccuracy\s+testAccuracy\s+ci95\s+auc\s+eer\s+tarAtFar1e2\s+tarAtFar1e3/);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'eval-heldout-raw-pixels.json'), 'utf8'));
    assert.equal(report.protocol, 'held-out split');
    const { val, test } = report.details;
    assert.equal(report.row.testPairs, test.values.length);
    // the threshold is the one fitted on the validation pairs alone, and the accuracy is the test pairs' at it
    const fit = bestThreshold(val.values, val.isSame, AS_DISTANCE);
    assert.equal(report.row.threshold, Number(fit.threshold.toFixed(4)));
    assert.equal(report.row.testAccuracy, (100 * accuracyAt(test.values, test.isSame, fit.threshold, AS_DISTANCE)).toFixed(1));
    const [lo, hi] = String(report.row.ci95).split('–').map(Number);
    assert.ok(lo <= Number(report.row.testAccuracy) && Number(report.row.testAccuracy) <= hi, `${report.row.testAccuracy} outside ${report.row.ci95}`);
  });

  it('cross-validates on a View 2 (pairs.txt folds) with the leakage check, as a table and as JSON', () => {
    const r = run('--model', 'raw-pixels', '--lfw', faces, '--out', path.join(dir, 'v2'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const [report] = JSON.parse(r.stdout);
    assert.equal(report.protocol, 'LFW View 2');
    assert.equal(report.row.folds, 3);
    assert.match(report.details.leakage, /no test fold shares a person or image with its training folds \(3 folds\)/);
    assert.equal(report.details.folds.length, 3);
    // each fold's threshold was fitted on the other two folds' 16 pairs, and tested on its own 8
    assert.deepEqual(report.details.folds.map((f: { nTrain: number; nTest: number }) => [f.nTrain, f.nTest]), [[16, 8], [16, 8], [16, 8]]);
    assert.match(report.row['accuracy % (mean ± s.e.)'], /^\d+\.\d\d ± \d+\.\d\d$/);
    const only = run('--model', 'raw-pixels', '--lfw', faces, '--folds', '2', '--out', path.join(dir, 'v2'));
    assert.equal(only.status, 0, only.stderr);
    assert.match(only.stdout, /raw-pixels\s+1\s+\d+\.\d\d ± n\/a/);
  });

  it('names bad models, bad folds, and missing descriptors', () => {
    const bad = run('--model', 'resnet-9000', '--out', dir);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown model "resnet-9000": use raw-pixels, face-api, face-api:chip, face-api\+head, face-api-tuned, an experiment preset \(default, quick/);
    const noLfw = run('--folds', '1');
    assert.equal(noLfw.status, 1);
    assert.match(noLfw.stderr, /--folds is for LFW View 2: give --lfw <dir> or set LFW_DIR/);
    const tightNoLfw = run('--model', 'face-api-tuned', '--tight', dir);
    assert.equal(tightNoLfw.status, 1);
    assert.match(tightNoLfw.stderr, /--tight is for LFW View 2: give --lfw <dir> or set LFW_DIR/);
    const tightOther = run('--model', 'raw-pixels', '--lfw', faces, '--tight', dir);
    assert.equal(tightOther.status, 1);
    assert.match(tightOther.stderr, /--tight is for the model face-api-tuned .*--model was "raw-pixels"/);
    const tightMissing = run('--model', 'face-api-tuned', '--lfw', faces, '--tight', path.join(dir, 'no-such-folder'));
    assert.equal(tightMissing.status, 1);
    assert.match(tightMissing.stderr, /--tight: .*no-such-folder is not a folder \(tight crops of LFW: npx tsx bench\/lfw-tight-crops\.ts/);
    assert.throws(() => parseFolds('0'), /--folds: "0" is not a fold number or range \(1-based/);
    assert.deepEqual(parseFolds('1,3-4'), [0, 2, 3]);
    // face-api on View 2 reads bench/lfw-face-api.ts's descriptors; without them it says how to make them
    const fa = run('--model', 'face-api', '--lfw', faces, '--out', dir);
    assert.equal(fa.status, 1);
    assert.match(fa.stderr, /bench\/lfw-face-api\.ts --variants square/);
    // the chip and the tuned top are scored on real faces only (View 2), never on the synthetic held-out split
    const chip = run('--model', 'face-api:chip', '--out', dir);
    assert.equal(chip.status, 1);
    assert.match(chip.stderr, /face-api:chip is scored on LFW View 2 only .*give --lfw <dir> or set LFW_DIR/);
    // with --no-train and an empty trunk cache, nothing is computed and the error says what is missing
    const tuned = run('--model', 'face-api-tuned', '--lfw', faces, '--no-train', '--out', dir);
    assert.equal(tuned.status, 1);
    assert.match(tuned.stderr, /lacks \d+ of the \d+ images face-api-tuned needs \(first: .*\), and --no-train was given/);
  });
});
