#!/usr/bin/env node
/**
 * Rebuilds the committed kernel binaries from src/kernels.c: `npm run build:kernels`.
 *
 *   node lib/backend/kernels/build.mjs [--out DIR] [--clang PATH]
 *
 * Writes kernels-simd.wasm (plain wasm SIMD) and kernels-relaxed.wasm (relaxed-SIMD FMA) and
 * COMPILER (the compiler's version line) into DIR (default: this folder). Needs clang-16 and lld-16
 * (Debian: apt-get install clang-16 lld-16). The flags carry no paths or dates, so the same compiler
 * gives byte-identical binaries; test/backend/kernels-build.test.ts checks that.
 *
 * Each binary is checked to be safe inside tfjs-backend-wasm's memory: its only import is
 * env.memory, and it neither touches a stack (__stack_pointer) nor carries a data segment.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
const outDir = path.resolve(option('--out', here));
const clang = option('--clang', process.env.CLANG ?? 'clang-16');
const source = path.join(here, 'src', 'kernels.c');

export const VARIANTS = {
  simd: ['-msimd128'],
  relaxed: ['-msimd128', '-mrelaxed-simd', '-DRELAXED'],
};
const COMMON = [
  '--target=wasm32', '-O3', '-nostdlib', '-ffreestanding', '-fno-ident', '-Wall', '-Wextra', '-Werror',
  '-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--strip-debug',
];

function compilerVersion() {
  return execFileSync(clang, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
}

/** Section ids present in a wasm binary. */
function sections(bytes) {
  const ids = [];
  let i = 8;
  const leb = () => {
    let r = 0, s = 0, x;
    do { x = bytes[i++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80);
    return r;
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const len = leb();
    ids.push(id);
    i += len;
  }
  return ids;
}

function check(variant, file, asm) {
  if (/__stack_pointer/.test(asm)) throw new Error(`${variant}: the code uses a linear-memory stack (__stack_pointer); it must not`);
  const bytes = fs.readFileSync(file);
  const ids = sections(bytes);
  if (ids.includes(11)) throw new Error(`${variant}: the binary has a data section; it must not`);
  if (ids.includes(8)) throw new Error(`${variant}: the binary has a start function; it must not`);
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes, {})).map((x) => `${x.module}.${x.name}`);
  if (imports.join() !== 'env.memory') throw new Error(`${variant}: imports ${imports.join(', ')}; only env.memory is allowed`);
}

function build() {
  // Node 20 compiles relaxed SIMD only behind this flag.
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const version = compilerVersion();
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-kernels-'));
  try {
    for (const [variant, flags] of Object.entries(VARIANTS)) {
      const file = path.join(outDir, `kernels-${variant}.wasm`);
      const asmFile = path.join(tmp, `kernels-${variant}.s`);
      execFileSync(clang, [...COMMON.filter((f) => !f.startsWith('-Wl')), ...flags, '-S', source, '-o', asmFile], { cwd: here });
      execFileSync(clang, [...COMMON, ...flags, source, '-o', file], { cwd: here, stdio: 'inherit' });
      check(variant, file, fs.readFileSync(asmFile, 'utf8'));
      console.log(`${path.relative(process.cwd(), file)}: ${fs.statSync(file).size} bytes`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(outDir, 'COMPILER'), `${version}\n`);
  console.log(`compiler: ${version}`);
}

build();
