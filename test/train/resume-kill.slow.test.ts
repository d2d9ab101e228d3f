// kill -9 a training process mid-epoch and mid-checkpoint-write; `--resume` (rerunning the same experiment)
// must end with weights bit-identical to a run that was never interrupted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readWeights } from '../../lib/models';
import { tempRuns, tinyFaces } from './fixtures';

const CHILD = path.join(__dirname, 'kill-child.ts');

/** Runs the child; kills it with SIGKILL as soon as a stdout line matches `killOn`. */
function runChild(dataDir: string, runsDir: string, killOn: RegExp | null, env: NodeJS.ProcessEnv = {}): Promise<{ killed: boolean; out: string; code: number | null }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, runsDir], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let killed = false;
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!killed && killOn && out.split('\n').some((l) => killOn.test(l))) {
        killed = true;
        proc.kill('SIGKILL');
      }
    });
    proc.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    proc.on('close', (code) => resolve({ killed, out, code }));
  });
}

function finalWeights(out: string): Map<string, string> {
  const dir = /done (.*)/.exec(out)?.[1];
  assert.ok(dir, `the run finished:\n${out}`);
  const weights = readWeights(path.join(dir, 'model'));
  const m = new Map(weights.map((w) => [w.name, Buffer.from((w.tensor.dataSync() as Float32Array).buffer).toString('base64')]));
  tf.dispose(weights.map((w) => w.tensor));
  return m;
}

test('kill -9 mid-epoch and mid-checkpoint-write, then resume: bit-identical to an uninterrupted run', { timeout: 900_000 }, async () => {
  const data = await tinyFaces();
  const whole = await runChild(data, tempRuns(), null);
  assert.equal(whole.code, 0, whole.out);
  const reference = finalWeights(whole.out);

  const runs = tempRuns();
  const midEpoch = await runChild(data, runs, /^step 4$/); // 3 steps an epoch: inside epoch 2
  assert.ok(midEpoch.killed, `killed mid-epoch:\n${midEpoch.out}`);
  const midWrite = await runChild(data, runs, /^IN_WRITE$/, { HANG_IN_CHECKPOINT_WRITE: '2' });
  assert.ok(midWrite.killed, `killed inside a checkpoint write:\n${midWrite.out}`);
  const runDir = path.join(runs, fs.readdirSync(runs)[0]);
  assert.ok(fs.readdirSync(path.join(runDir, 'checkpoints')).some((f) => f.includes('.tmp-')), 'a half-written checkpoint was left behind');
  const resumed = await runChild(data, runs, null);
  assert.equal(resumed.code, 0, resumed.out);
  assert.deepEqual(finalWeights(resumed.out), reference);
});
