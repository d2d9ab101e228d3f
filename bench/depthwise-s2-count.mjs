#!/usr/bin/env node
/**
 * MobileNetV3-small's stride-2 depthwise layers (batch, 'valid' after the model's explicit padding) run on one
 * kernels .wasm with no tfjs around it, for instruction counts under valgrind (issue 18, 2026-12-03):
 *
 *   node bench/depthwise-s2-count.mjs WASM fwd|inp 112|224 BATCH CALLS [ec|ec_1|ec_3|ec_8|all]
 *
 * Runs the kernel once, then CALLS more times, and prints per layer the median CPU ms of those calls and a
 * checksum of the output (equal checksums: the same results). bench/depthwise-s2-callgrind.sh turns two runs
 * (1 and K calls) into instructions per call. Plain JavaScript so that no TypeScript compiler runs under valgrind.
 */
import fs from 'node:fs';
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const [wasmPath, dir, size, batchS, callsS, only] = process.argv.slice(2);
const batch = Number(batchS), calls = Number(callsS);
// [name, H = W (padded input), C, K]; stride 2, 'valid'
const layers = size === '224'
  ? [['ec', 114, 16, 3], ['ec_1', 58, 72, 3], ['ec_3', 32, 96, 5], ['ec_8', 18, 288, 5]]
  : [['ec', 58, 16, 3], ['ec_1', 30, 72, 3], ['ec_3', 18, 96, 5], ['ec_8', 11, 288, 5]];
const memory = new WebAssembly.Memory({ initial: 16384 });
const e = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(wasmPath)), { env: { memory } }).exports;
const f32 = new Float32Array(memory.buffer);
let seed = 1;
const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff - 0.5; };
const out = {};
for (const [name, H, C, K] of layers) {
  if (only && only !== 'all' && only !== name) continue;
  const OH = Math.floor((H - K) / 2) + 1;
  const geometry = [batch, H, H, C, OH, OH, C, K, K, 2, 2, 0, 0, 1, 1];
  const nx = batch * H * H * C, ny = batch * OH * OH * C, nw = K * K * C;
  let p = 1024;
  const xo = p; p += nx; const wo = p; p += nw + 64; const yo = p; p += ny; const dxo = p; p += nx; const work = p;
  for (let i = 0; i < nx; i++) f32[xo + i] = rnd();
  for (let i = 0; i < nw; i++) f32[wo + i] = rnd();
  for (let i = 0; i < ny; i++) f32[yo + i] = rnd();
  const run = dir === 'fwd' ? () => e.depthwise_forward(xo * 4, wo * 4, yo * 4, ...geometry, work * 4)
    : () => e.depthwise_backprop_input(yo * 4, wo * 4, dxo * 4, 1, ...geometry, work * 4);
  run();
  const ms = [];
  for (let i = 0; i < calls; i++) {
    const t = process.cpuUsage();
    run();
    const u = process.cpuUsage(t);
    ms.push((u.user + u.system) / 1000);
  }
  ms.sort((a, b) => a - b);
  const [o, n] = dir === 'fwd' ? [yo, ny] : [dxo, nx];
  let sum = 0;
  for (let i = 0; i < n; i += 7) sum += f32[o + i] * ((i % 13) - 6);
  out[name] = { ms: ms[Math.floor(ms.length / 2)], checksum: sum };
}
console.log(JSON.stringify(out));
