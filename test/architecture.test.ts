/**
 * The import rules of README's "Architecture" section, checked on every lib/**\/*.ts file: each room (a
 * top-level folder of lib/) may import only the rooms listed for it below, lib never imports the CLI, and
 * the rooms form no cycle. A failure names the file, the line and the import, and the rule it breaks.
 *
 * Imports are read from the source text: `import ... from`, `export ... from`, `import('...')` and
 * `require('...')` with a relative path. The module comment of each file is skipped, so an example in a
 * doc comment is not an import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const LIB = path.resolve(__dirname, '..', 'lib');

/**
 * What each room may import (besides itself and node/npm packages). Keep this table and README's
 * "Architecture" section the same. Rooms are listed from the bottom of the house up.
 */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  util: [],
  backend: ['util'],
  data: ['util'],
  augment: ['util', 'backend', 'data'],
  pipeline: ['util', 'backend', 'data', 'augment'],
  distances: ['util', 'backend', 'data'],
  models: ['util', 'backend', 'data', 'distances'],
  losses: ['util', 'backend', 'data', 'distances'],
  eval: ['util', 'data', 'distances'],
  faces: ['util', 'backend', 'data', 'pipeline', 'distances', 'models', 'eval'],
  train: ['util', 'backend', 'data', 'augment', 'pipeline', 'distances', 'models', 'losses', 'eval', 'faces'],
  viz: ['util', 'data', 'augment'],
  apps: ['util', 'backend', 'data', 'distances', 'models', 'eval', 'faces', 'train'],
  notebook: ['util', 'viz'],
  workshop: ['util', 'backend', 'data', 'notebook'],
  cli: ['util', 'backend', 'data', 'augment', 'pipeline', 'distances', 'models', 'losses', 'eval', 'faces', 'train', 'viz', 'apps', 'notebook', 'workshop', 'index'],
  // lib/index.ts: every room's public API, never the CLI
  index: ['util', 'backend', 'data', 'augment', 'pipeline', 'distances', 'models', 'losses', 'eval', 'faces', 'train', 'viz', 'apps', 'notebook', 'workshop'],
};

export interface LibImport {
  /** The importing file, relative to lib/. */
  readonly file: string;
  readonly line: number;
  /** The import as written. */
  readonly spec: string;
  readonly fromRoom: string;
  readonly toRoom: string;
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The room of a path inside lib/: its top-level folder, or `index` for lib/index.ts. */
function roomOf(relative: string): string {
  const first = relative.split(path.sep)[0];
  return first.endsWith('.ts') ? first.slice(0, -3) : first;
}

const IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"`]([^'"`]+)['"`]\s*\)|\brequire\(\s*['"`]([^'"`]+)['"`]\s*\)/gm;

/** Every relative import of every lib file, with the rooms on both ends. */
export function libImports(lib = LIB): LibImport[] {
  const out: LibImport[] = [];
  for (const file of tsFiles(lib)) {
    const text = fs.readFileSync(file, 'utf8');
    const relative = path.relative(lib, file);
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      if (!spec.startsWith('.')) continue;
      const target = path.relative(lib, path.resolve(path.dirname(file), spec));
      if (target.startsWith('..')) continue; // outside lib (none today)
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ file: relative, line, spec, fromRoom: roomOf(relative), toRoom: target === '' ? 'index' : roomOf(target) });
    }
  }
  return out;
}

/** The imports that break the table: one line each, naming the file, the line, the import and the rule. */
export function forbiddenImports(imports: readonly LibImport[], allowed = ALLOWED): string[] {
  return imports.flatMap((i) => {
    if (i.fromRoom === i.toRoom) return [];
    const rule = allowed[i.fromRoom];
    if (!rule) return [`lib/${i.file}:${i.line}: room "${i.fromRoom}" is not in the table of test/architecture.test.ts (add it, with what it may import)`];
    if (rule.includes(i.toRoom)) return [];
    return [`lib/${i.file}:${i.line}: imports '${i.spec}' (room ${i.toRoom}); ${i.fromRoom} may import only ${rule.join(', ') || 'nothing else in lib'}`];
  });
}

/** Cycles between rooms in the actual imports, each as `a -> b -> ... -> a` with one file per arrow. */
export function roomCycles(imports: readonly LibImport[]): string[] {
  const edges = new Map<string, Map<string, LibImport>>();
  for (const i of imports) {
    if (i.fromRoom === i.toRoom) continue;
    const out = edges.get(i.fromRoom) ?? new Map<string, LibImport>();
    if (!out.has(i.toRoom)) out.set(i.toRoom, i);
    edges.set(i.fromRoom, out);
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (room: string): void => {
    state.set(room, 'open');
    stack.push(room);
    for (const next of edges.get(room)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...stack.slice(stack.indexOf(next)), next];
        const arrows = loop.slice(0, -1).map((r, k) => { const e = edges.get(r)!.get(loop[k + 1])!; return `lib/${e.file}:${e.line} '${e.spec}'`; });
        cycles.push(`${loop.join(' -> ')} (${arrows.join('; ')})`);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(room, 'done');
  };
  for (const room of [...edges.keys()].sort()) if (!state.has(room)) visit(room);
  return cycles;
}

const imports = libImports();

test('the import reader finds the imports of lib (sanity)', () => {
  assert.ok(imports.length > 300, `only ${imports.length} imports found`);
  assert.ok(imports.some((i) => i.file === path.join('train', 'trainer.ts') && i.toRoom === 'losses'));
});

test('every lib import follows the room table (README "Architecture")', () => {
  const bad = forbiddenImports(imports);
  assert.equal(bad.length, 0, `forbidden imports:\n${bad.join('\n')}`);
});

test('lib never imports the CLI', () => {
  const bad = imports.filter((i) => i.toRoom === 'cli' && i.fromRoom !== 'cli').map((i) => `lib/${i.file}:${i.line}: imports '${i.spec}'`);
  assert.equal(bad.length, 0, `lib imports the CLI:\n${bad.join('\n')}`);
});

test('no import cycles between rooms', () => {
  const cycles = roomCycles(imports);
  assert.equal(cycles.length, 0, `room cycles:\n${cycles.join('\n')}`);
});

test('the checks catch what they should: a forbidden arrow, the CLI, a cycle', () => {
  const fake = (file: string, fromRoom: string, toRoom: string, spec: string): LibImport => ({ file, line: 3, spec, fromRoom, toRoom });
  const dataToModels = fake(path.join('data', 'x.ts'), 'data', 'models', '../models/build');
  assert.deepEqual(forbiddenImports([dataToModels]), [`lib/data/x.ts:3: imports '../models/build' (room models); data may import only util`]);
  assert.match(forbiddenImports([fake(path.join('eval', 'y.ts'), 'eval', 'train', '../train')])[0], /lib\/eval\/y\.ts:3: imports '\.\.\/train' \(room train\)/);
  assert.match(forbiddenImports([fake(path.join('viz', 'z.ts'), 'viz', 'cli', '../cli/main')])[0], /room cli/);
  const cycle = roomCycles([fake(path.join('viz', 'a.ts'), 'viz', 'train', '../train'), fake(path.join('train', 'b.ts'), 'train', 'viz', '../viz')]);
  assert.equal(cycle.length, 1);
  assert.match(cycle[0], /train -> viz -> train|viz -> train -> viz/);
});

test('every room in lib/ has a line in the table, and every table entry is a room', () => {
  const rooms = fs.readdirSync(LIB, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).concat('index').sort();
  assert.deepEqual(Object.keys(ALLOWED).sort(), rooms);
});

test("README's Architecture table lists the same rules", () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Architecture'));
  const rows = [...section.matchAll(/^\| `(\w+)`[^|]*\|[^|]*\| ([^|]+) \|$/gm)];
  const everyRoom = Object.keys(ALLOWED).filter((r) => r !== 'index');
  const table = Object.fromEntries(rows.map(([, room, may]) => {
    const names = [...may.matchAll(/`(\w+)`/g)].map((m) => m[1]);
    const list = may.startsWith('every room but') ? everyRoom.filter((r) => !names.includes(r)) : may.startsWith('every room') ? [...everyRoom.filter((r) => r !== room), 'index'] : names;
    return [room, list.sort()];
  }));
  const expected = Object.fromEntries(Object.entries(ALLOWED).map(([room, may]) => [room, [...may].sort()]));
  assert.deepEqual(table, expected);
});
