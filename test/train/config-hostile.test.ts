/**
 * Hostile configs, run keys and saved splits (issue 14 items 6, 8, 9, 10): typo'd and mistyped experiment
 * configs (in code and in `siamese train --config` files), the run cache key (data identity, not the display
 * name), split files made from inputs that changed since, and one split stream for `data split` and `train`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { Dataset } from '../../lib/data';
import { splitFromFlags } from '../../lib/cli/commands/data-split';
import { experimentFromFlags } from '../../lib/cli/commands/train';
import { experimentSplit, resolveExperiment, runDir, runExperiment, type ExperimentInput } from '../../lib/train';
import { makeLfwFolder } from '../data/fixtures';
import { hostile } from '../hostile';
import { tempRuns, tinyConfig, tinyFaces } from './fixtures';

const quiet = { log: () => undefined, progress: 'none' as const };
const temps: string[] = [];
after(() => { for (const d of temps) fs.rmSync(d, { recursive: true, force: true }); });
function temp(prefix = 'siamese-cfg-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}
/** A private copy of the tiny synthetic set (tests that edit its files must not touch the shared one). */
async function facesCopy(): Promise<string> {
  const dir = path.join(temp(), 'faces');
  fs.cpSync(await tinyFaces(), dir, { recursive: true });
  return dir;
}
function configFile(text: string, name = 'c.json'): string {
  const file = path.join(temp(), name);
  fs.writeFileSync(file, text);
  return file;
}
const resolve = (input: unknown): unknown => resolveExperiment(input as ExperimentInput);

// ---------------------------------------------------------------------------------------------------------
// configs: unknown keys (item 6) and wrong types, at every level

hostile('configs', 'a typo at the top level ({"epochz":1}) is an error suggesting "epochs" (issue item 6)', () => {
  assert.throws(() => resolve({ epochz: 1 }), /^RangeError: unknown key "epochz" in experiment config: did you mean "epochs"\?$/);
});
hostile('configs', 'a typo inside data suggests the dotted key', () => {
  assert.throws(() => resolve({ data: { splitSed: 3 } }), /unknown key "data\.splitSed" in experiment config: did you mean "data\.splitSeed"\?/);
});
hostile('configs', 'a typo inside data.split', () => {
  assert.throws(() => resolve({ data: { split: { numPair: { train: 10 } } } }), /unknown key "data\.split\.numPair" in experiment config: did you mean "data\.split\.numPairs"\?/);
});
hostile('configs', 'a typo inside data.split.numPairs', () => {
  assert.throws(() => resolve({ data: { split: { numPairs: { tarin: 10 } } } }), /unknown key "data\.split\.numPairs\.tarin" in experiment config: did you mean "data\.split\.numPairs\.train"\?/);
});
hostile('configs', 'a typo inside optimizer', () => {
  assert.throws(() => resolve({ optimizer: { lrr: 0.1 } }), /unknown key "optimizer\.lrr" in experiment config: did you mean "optimizer\.lr"\?/);
});
hostile('configs', 'a wrong-case key inside schedule', () => {
  assert.throws(() => resolve({ schedule: { name: 'step', stepsize: 3 } }), /unknown key "schedule\.stepsize" in experiment config: did you mean "schedule\.stepSize"\?/);
});
hostile('configs', 'a typo inside loss', () => {
  assert.throws(() => resolve({ loss: { name: 'contrastive', margn: 2 } }), /unknown key "loss\.margn" in experiment config: did you mean "loss\.margin"\?/);
});
hostile('configs', 'a typo inside model.options (per model kind)', () => {
  assert.throws(() => resolve({ model: { kind: 'workshopCnn', options: { inputsize: 32 } } }), /unknown key "model\.options\.inputsize" in experiment config: did you mean "model\.options\.inputSize"\?/);
  // a key of another kind's options is unknown for this kind
  assert.throws(() => resolve({ model: { kind: 'siameseCnn', options: { filters: [4] } } }), /unknown key "model\.options\.filters" in experiment config; model kind siameseCnn takes: inputSize, seed/);
});
hostile('configs', 'a typo inside earlyStopping', () => {
  assert.throws(() => resolve({ earlyStopping: { patiance: 2, minDelta: 0 } }), /unknown key "earlyStopping\.patiance" in experiment config: did you mean "earlyStopping\.patience"\?/);
});
hostile('configs', 'an unknown key with nothing close lists the valid keys', () => {
  assert.throws(() => resolve({ data: { wibble: 1 } }), /unknown key "data\.wibble" in experiment config; valid keys: dir, protocol, fold, split, splitSeed/);
});
hostile('configs', 'a margin given to the bce loss is refused (it has none)', () => {
  assert.throws(() => resolve({ head: 'bceConcat', loss: { name: 'bce', margin: 1 } }), /unknown key "loss\.margin" in experiment config; loss bce takes: name/);
});
hostile('configs', 'epochs as a string names the key and the type', () => {
  assert.throws(() => resolve({ epochs: '10' }), /experiment config: "epochs" must be an integer, got "10" \(a string\)/);
});
hostile('configs', 'optimizer.lr as a string names the dotted key', () => {
  assert.throws(() => resolve({ optimizer: { lr: '0.01' } }), /experiment config: "optimizer\.lr" must be a number, got "0\.01" \(a string\)/);
});
hostile('configs', 'normalize as "yes" must be a boolean', () => {
  assert.throws(() => resolve({ normalize: 'yes' }), /experiment config: "normalize" must be true or false, got "yes" \(a string\)/);
});
hostile('configs', 'data as a list must be an object', () => {
  assert.throws(() => resolve({ data: [] }), /experiment config: "data" must be an object, got \[\] \(a list\)/);
});
hostile('configs', 'an unknown model kind lists the kinds and suggests the nearest', () => {
  assert.throws(() => resolve({ model: { kind: 'workshopCNN' } }), /experiment config: "model\.kind" must be one of workshopCnn, mobileNetV3Small, siameseCnn, got "workshopCNN": did you mean "workshopCnn"\?/);
});
hostile('configs', 'an unknown augment policy suggests the nearest', () => {
  assert.throws(() => resolve({ augment: 'defualt' }), /experiment config: "augment" must be one of default, siamese-cnn, none, got "defualt": did you mean "default"\?/);
});
hostile('configs', 'a fractional split seed is refused (the split stream is seeded by an integer)', () => {
  assert.throws(() => resolve({ data: { splitSeed: 1.5 } }), /experiment config: "data\.splitSeed" must be an integer, got 1\.5/);
});
hostile('configs', 'a contrastive loss without a margin is refused', () => {
  assert.throws(() => resolve({ loss: { name: 'contrastive' } }), /experiment config: "loss\.margin" is required for loss contrastive \(a positive number\)/);
});
hostile('configs', 'a config that is not an object is refused', () => {
  assert.throws(() => resolve([1, 2]), /experiment config must be an object of experiment fields, got \[1,2\] \(a list\)/);
});
hostile('configs', 'a "__proto__" key is an unknown key, not a prototype', () => {
  assert.throws(() => resolve(JSON.parse('{"__proto__": {"epochs": 3}}')), /unknown key "__proto__" in experiment config/);
});
hostile('configs', 'a valid config still resolves, defaults filled in', () => {
  const cfg = resolveExperiment({ epochs: 3, data: { splitSeed: 4, split: { numPairs: { train: 10 } } }, optimizer: { lr: 0.01 }, earlyStopping: { patience: 2, minDelta: 0 } }).config;
  assert.deepEqual([cfg.epochs, cfg.data.splitSeed, cfg.data.split.numPairs?.train, cfg.optimizer.lr, cfg.optimizer.name, cfg.schedule.name], [3, 4, 10, 0.01, 'adam', 'cosine']);
});

hostile('configs', '--config: an unknown key names the file', () => {
  const file = configFile('{\n  "epochz": 1\n}\n');
  assert.throws(() => experimentFromFlags({ preset: 'default', config: file }), new RegExp(`unknown key "epochz" in ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: did you mean "epochs"\\?`));
});
hostile('configs', '--config: a wrong type names the file and the dotted key', () => {
  const file = configFile('{"optimizer": {"lr": "fast"}}');
  assert.throws(() => experimentFromFlags({ preset: 'default', config: file }), /c\.json: "optimizer\.lr" must be a number, got "fast" \(a string\)/);
});
hostile('configs', '--config: a JSON syntax error names the file, line and column', () => {
  const file = configFile('{\n  "epochs": 2,\n  "seed": 1,,\n  "batchSize": 8\n}\n');
  assert.throws(() => experimentFromFlags({ preset: 'default', config: file }), /c\.json:3:13: not valid JSON: Expected double-quoted property name/);
});
hostile('configs', '--config: a truncated file names the file and its last line', () => {
  const file = configFile('{\n  "epochs": 2,\n');
  const cut = configFile('{\n  "epochs": ', 'cut.json');
  assert.throws(() => experimentFromFlags({ preset: 'default', config: cut }), /cut\.json:2:13: not valid JSON: Unexpected end of JSON input/);
  assert.throws(() => experimentFromFlags({ preset: 'default', config: file }), /c\.json:3:1: not valid JSON: Expected double-quoted property name in JSON at position 17/);
});
hostile('configs', '--config: an empty file is refused by name', () => {
  const file = configFile('  \n');
  assert.throws(() => experimentFromFlags({ preset: 'default', config: file }), /--config .*c\.json is empty \(expected a JSON object of experiment fields/);
});
hostile('configs', '--config: a list instead of an object is refused by name', () => {
  const file = configFile('[{"epochs": 2}]');
  assert.throws(() => experimentFromFlags({ preset: 'default', config: file }), /c\.json must be a JSON object of experiment fields, got a list/);
});
hostile('configs', '--config: a UTF-8 byte-order mark and CRLF line ends are accepted', () => {
  const file = configFile('\uFEFF{\r\n  "epochs": 3\r\n}\r\n');
  assert.equal(resolveExperiment(experimentFromFlags({ preset: 'default', config: file })).config.epochs, 3);
});
hostile('configs', '--config: a folder instead of a file is refused by name', () => {
  const dir = temp();
  assert.throws(() => experimentFromFlags({ preset: 'default', config: dir }), /--config .*: is a folder, not a JSON file/);
});
hostile('configs', '--split-seed must be an integer', () => {
  assert.throws(() => experimentFromFlags({ preset: 'default', splitSeed: '1.5' }), /--split-seed must be an integer, got "1\.5"/);
});
hostile('configs', 'data split --seed must be an integer (the same stream as train --split-seed)', async () => {
  await assert.rejects(splitFromFlags({ seed: 'abc', out: path.join(temp(), 's.json'), dir: await tinyFaces() }), /--seed must be an integer, got "abc"/);
});

// ---------------------------------------------------------------------------------------------------------
// runs: the cache key is the resolved config and the data's identity, not the display name (item 9)

hostile('runs', 'two configs that differ only by name share one trained run (issue item 9)', async () => {
  const faces = await tinyFaces();
  const runs = tempRuns();
  temps.push(runs);
  const first = await runExperiment(tinyConfig(faces, { name: 'first', epochs: 1 }), { ...quiet, runsDir: runs });
  const second = await runExperiment(tinyConfig(faces, { name: 'second', epochs: 1 }), { ...quiet, runsDir: runs });
  assert.equal(second.cached, true, 'the second name reuses the first run');
  assert.equal(second.dir, first.dir);
  assert.deepEqual(second.test, first.test);
  assert.equal(fs.readdirSync(runs).filter((f) => !f.startsWith('.')).length, 1, 'one run folder');
});

hostile('runs', 'a run trained on one data source is not returned once LFW_DIR points elsewhere (issue item 9)', async () => {
  const home = temp();
  fs.cpSync(await tinyFaces(), path.join(home, 'lfw'), { recursive: true });
  const lfw = path.join(temp(), 'lfw');
  await makeLfwFolder(lfw, Array.from({ length: 12 }, () => 4), 16);
  const runs = tempRuns();
  temps.push(runs);
  const saved = { LFW_DIR: process.env.LFW_DIR, SIAMESE_DATA: process.env.SIAMESE_DATA };
  const input = tinyConfig('unused', { epochs: 1 });
  const config = { ...input, data: { ...input.data, dir: null } };
  try {
    delete process.env.LFW_DIR;
    process.env.SIAMESE_DATA = home;
    const before = await runExperiment(config, { ...quiet, runsDir: runs });
    assert.equal(before.data.source, 'data-home-lfw');
    process.env.LFW_DIR = lfw;
    const withLfw = await runExperiment(config, { ...quiet, runsDir: runs });
    assert.equal(withLfw.cached, false, 'trained on the LFW_DIR data, not the cached run');
    assert.equal(withLfw.data.source, 'LFW_DIR');
    assert.notEqual(withLfw.dir, before.dir);
    delete process.env.LFW_DIR;
    const back = await runExperiment(config, { ...quiet, runsDir: runs });
    assert.equal(back.cached, true, 'the first run is still there');
    assert.deepEqual([back.dir, back.test], [before.dir, before.test]);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
});

hostile('runs', 'the run key changes when one image of the dataset changes, and not with its folder path', async () => {
  const a = await facesCopy();
  const b = await facesCopy();
  const cfg = resolveExperiment(tinyConfig(a)).config;
  const dsA = await Dataset.open(a, { cache: null });
  const dirA = await runDir(cfg, dsA, '/runs');
  assert.equal(path.dirname(dirA), '/runs');
  // the same content elsewhere, and the config naming the other folder: the same run
  assert.equal(await runDir(resolveExperiment(tinyConfig(b)).config, await Dataset.open(b, { cache: null }), '/runs'), dirA);
  // one image re-encoded (another size): another run
  const person = fs.readdirSync(b).filter((f) => fs.statSync(path.join(b, f)).isDirectory())[0];
  const img = path.join(b, person, fs.readdirSync(path.join(b, person))[0]);
  fs.appendFileSync(img, Buffer.from([0]));
  assert.notEqual(await runDir(cfg, await Dataset.open(b, { cache: null }), '/runs'), dirA);
});

hostile('runs', 'the run key of a View 1 run changes with the pair files; a split run\'s does not', async () => {
  const a = await facesCopy();
  const view1 = resolveExperiment(tinyConfig(a, { data: { dir: a, protocol: 'view1', splitSeed: 1 } })).config;
  const split = resolveExperiment(tinyConfig(a)).config;
  const ds = await Dataset.open(a, { cache: null });
  const [v1, s1] = [await runDir(view1, ds, '/r'), await runDir(split, ds, '/r')];
  const file = path.join(a, 'pairsDevTrain.txt');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  [lines[1], lines[2]] = [lines[2], lines[1]];
  fs.writeFileSync(file, lines.join('\n'));
  const ds2 = await Dataset.open(a, { cache: null });
  assert.notEqual(await runDir(view1, ds2, '/r'), v1);
  assert.equal(await runDir(split, ds2, '/r'), s1);
});

// ---------------------------------------------------------------------------------------------------------
// splits: saved splits rebuilt when their inputs changed (item 8); one split stream (item 10)

/** Replaces line `n` (1-based) of a pair file; returns the old text. */
function editLine(file: string, n: number, edit: (line: string) => string): string {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  lines[n - 1] = edit(lines[n - 1]);
  fs.writeFileSync(file, lines.join('\n'));
  return text;
}

hostile('splits', 'a run from a bad pair file names file:line, and works once the file is fixed (issue item 8)', async () => {
  const faces = await facesCopy();
  const runs = tempRuns();
  temps.push(runs);
  const file = path.join(faces, 'pairsDevTrain.txt');
  const good = editLine(file, 3, (l) => l.replace(/\t\d+$/, '\t9'));
  const person = good.split('\n')[2].split('\t')[0];
  const config = tinyConfig(faces, { epochs: 1, data: { dir: faces, protocol: 'view1', splitSeed: 1 } });
  await assert.rejects(runExperiment(config, { ...quiet, runsDir: runs }),
    new RegExp(`pairsDevTrain\\.txt:3: missing image ${person}/${person}_0009\\.jpg \\(${person} has 4\\)`));
  fs.writeFileSync(file, good);
  const fixed = await runExperiment(config, { ...quiet, runsDir: runs });
  assert.equal(fixed.cached, false);
  assert.ok(Number.isFinite(fixed.test.auc));
});

/** A tiny run stopped at `step` (after the first epoch's checkpoint when step > 3): its folder. */
async function interruptedRun(faces: string, runs: string, step: number): Promise<string> {
  await assert.rejects(runExperiment(tinyConfig(faces), { ...quiet, runsDir: runs, onStep: (s) => { if (s === step) throw new Error('simulated crash'); } }), /simulated crash/);
  const dirs = fs.readdirSync(runs).filter((f) => !f.startsWith('.'));
  assert.equal(dirs.length, 1);
  return path.join(runs, dirs[0]);
}

hostile('splits', 'an unusable split.json in a run with checkpoints is refused, saying how to force a rebuild (issue item 8)', async () => {
  const faces = await tinyFaces();
  const runs = tempRuns();
  temps.push(runs);
  const dir = await interruptedRun(faces, runs, 4);
  const splitFile = path.join(dir, 'split.json');
  const json = JSON.parse(fs.readFileSync(splitFile, 'utf8'));
  const p = json.pairs.train[0].a.split('/')[0];
  json.pairs.train[0].a = `${p}/${p}_0099.jpg`;
  fs.writeFileSync(splitFile, JSON.stringify(json));
  const ckpt = fs.readFileSync(path.join(dir, 'checkpoints', 'last.ckpt'));
  await assert.rejects(runExperiment(tinyConfig(faces), { ...quiet, runsDir: runs }),
    /split\.json cannot be used[\s\S]*pairs\.train\[0\]: missing image[\s\S]*checkpoints were trained on it: rerun with --force \(`siamese train --force`, or force: true\) to rebuild the split and train from scratch/);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'checkpoints', 'last.ckpt')), ckpt, 'the checkpoint is kept');
  const forced = await runExperiment(tinyConfig(faces), { ...quiet, runsDir: runs, force: true });
  assert.equal(forced.cached, false);
});

hostile('splits', 'a split.json made from other inputs, in a run with no checkpoint yet, is rebuilt and says so', async () => {
  const faces = await tinyFaces();
  const runs = tempRuns();
  temps.push(runs);
  const dir = await interruptedRun(faces, runs, 1);
  assert.ok(!fs.existsSync(path.join(dir, 'checkpoints', 'last.ckpt')));
  const splitFile = path.join(dir, 'split.json');
  const original = JSON.parse(fs.readFileSync(splitFile, 'utf8'));
  assert.match(original.inputs.dataset, /^[0-9a-f]{16}$/, 'the split records its inputs');
  fs.writeFileSync(splitFile, JSON.stringify({ ...original, inputs: { ...original.inputs, dataset: '0000000000000000' }, people: { train: [], val: [], test: [] }, pairs: { train: [], val: [], test: [] } }));
  const lines: string[] = [];
  const r = await runExperiment(tinyConfig(faces), { progress: 'none', log: (l) => void lines.push(l), runsDir: runs });
  assert.ok(lines.some((l) => /split\.json was made from other inputs \(dataset\); rebuilding it/.test(l)), lines.join('\n'));
  assert.deepEqual(JSON.parse(fs.readFileSync(splitFile, 'utf8')).pairs, original.pairs, 'rebuilt exactly as before');
  assert.ok(Number.isFinite(r.test.auc));
});

hostile('splits', '`data split --seed 1` and `train --split-seed 1` draw the same split (issue item 10)', async () => {
  const faces = await tinyFaces();
  const out = path.join(temp(), 'split.json');
  const { split: fromData } = await splitFromFlags({ dir: faces, seed: '1', preset: 'mnv3-notebook', train: '24', val: '8', test: '8', out });
  const file = configFile(JSON.stringify({ data: { split: { preset: 'mnv3-notebook', numPairs: { train: 24, val: 8, test: 8 } } } }));
  const input = experimentFromFlags({ preset: 'mnv3-adam-cosine', config: file, splitSeed: '1', dir: faces });
  const fromTrain = await experimentSplit(input, await Dataset.open(faces, { cache: null }), temp());
  assert.equal(fromData.seed, fromTrain.seed);
  assert.deepEqual(fromData.people, fromTrain.people);
  assert.deepEqual(fromData.pairs, fromTrain.pairs);
  assert.deepEqual(fromData.config, fromTrain.config);
});

hostile('splits', '`data split` records what it was made from in the saved file', async () => {
  const faces = await tinyFaces();
  const out = path.join(temp(), 'split.json');
  await splitFromFlags({ dir: faces, seed: '2', train: '10', val: '4', test: '4', out });
  const json = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.equal(json.seed, '2/split');
  assert.deepEqual(Object.keys(json.inputs).sort(), ['config', 'dataset', 'pairFiles', 'protocol', 'seed']);
  assert.equal(json.inputs.protocol, 'split');
});
