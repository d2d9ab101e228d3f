/**
 * The committed kernel binaries (lib/backend/kernels/*.wasm) are what src/kernels.c compiles to:
 * when the compiler recorded in COMPILER is installed, rebuild into a temporary folder and compare
 * bytes; otherwise skip, saying why. Also checks the binaries are safe to run inside the wasm
 * backend's memory (only env.memory imported, no data segment).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelsDir, kernelBinaryPath, relaxedSimdSupported } from '../../lib/backend/kernels';

const dir = kernelsDir();
const recorded = fs.readFileSync(path.join(dir, 'COMPILER'), 'utf8').trim();

function installedCompiler(): string | null {
  try {
    return execFileSync(process.env.CLANG ?? 'clang-16', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return null;
  }
}

const installed = installedCompiler();
const skip = installed === null
  ? `clang-16 is not installed (the binaries were built with: ${recorded})`
  : installed !== recorded ? `installed compiler "${installed}" differs from the recorded "${recorded}"` : false;

test('the committed binaries match the source when rebuilt with the recorded compiler', { skip }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kernels-build-test-'));
  try {
    execFileSync(process.execPath, [path.join(dir, 'build.mjs'), '--out', out], { stdio: 'pipe' });
    for (const variant of ['simd', 'relaxed'] as const) {
      const committed = fs.readFileSync(kernelBinaryPath(variant));
      const rebuilt = fs.readFileSync(path.join(out, `kernels-${variant}.wasm`));
      assert.ok(committed.equals(rebuilt), `kernels-${variant}.wasm differs from a rebuild of src/kernels.c; run npm run build:kernels`);
    }
    assert.equal(fs.readFileSync(path.join(out, 'COMPILER'), 'utf8').trim(), recorded);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('both binaries import only env.memory and carry no data segment', () => {
  assert.ok(relaxedSimdSupported(), 'Node 20 with --experimental-wasm-relaxed-simd accepts the relaxed build');
  for (const variant of ['simd', 'relaxed'] as const) {
    const bytes = fs.readFileSync(kernelBinaryPath(variant));
    const module = new WebAssembly.Module(bytes);
    assert.deepEqual(WebAssembly.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
    assert.ok(WebAssembly.Module.exports(module).some((e) => e.name === 'sgemm'));
    // walk the sections: id 11 is data
    let i = 8;
    while (i < bytes.length) {
      const id = bytes[i++];
      let len = 0, shift = 0, b: number;
      do { b = bytes[i++]; len += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
      assert.notEqual(id, 11, `kernels-${variant}.wasm has a data section`);
      i += len;
    }
  }
});
