/**
 * Reading (and, for tests and tools, writing) Keras's HDF5 weight files: the `.h5` files Keras 2 writes with
 * `model.save_weights(...)` and publishes for `keras.applications` (Keras 3 still loads them). HDF5 is read
 * with h5wasm (libhdf5 compiled to WebAssembly), so no Python or native library is needed.
 *
 * Layout of such a file (Keras's `legacy_h5_format`): the root (or its `model_weights` group, in a whole-model
 * save) has an attribute `layer_names` listing every layer in order (split into `layer_names0`, `layer_names1`,
 * ... when long); each layer has a group at the path of its name, whose attribute `weight_names` lists its
 * weights (`Conv/BatchNorm/gamma:0`), each a dataset at `<layer name>/<weight name>`. A `/` in a Keras 2 layer
 * name (`Conv/BatchNorm`) makes nested groups, so groups of different layers share parents. Layers without
 * weights (activations, adds) list none.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as fs from 'node:fs';
import type * as H5 from 'h5wasm';

/** One weight tensor of a Keras HDF5 file: its layer, its short name, its shape and its values. */
export interface KerasTensor {
  /** The Keras layer name, e.g. `expanded_conv/depthwise/BatchNorm`. */
  readonly layer: string;
  /** The weight's name without the layer path and `:0`, e.g. `gamma`, `kernel`, `depthwise_kernel`. */
  readonly weight: string;
  /** The dataset's path in the file, e.g. `/Conv/BatchNorm/Conv/BatchNorm/gamma:0`. */
  readonly path: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** What a Keras HDF5 weights file holds. */
export interface KerasWeightsFile {
  /** Every layer in the file's order, with or without weights. */
  readonly layers: readonly string[];
  /** Every weight tensor, layer by layer in the file's order. */
  readonly tensors: readonly KerasTensor[];
  /** `keras_version` and `backend` attributes, when present. */
  readonly kerasVersion: string | null;
}

type H5Module = typeof H5;
let h5: Promise<H5Module> | null = null;

/**
 * h5wasm, loaded once. It is an ES module only (its `exports` have no `require` entry), so it is imported
 * with a real dynamic `import()`, which TypeScript's CommonJS output would otherwise turn into `require`.
 */
export function loadH5wasm(): Promise<H5Module> {
  if (h5 === null) {
    const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<H5Module>;
    h5 = importEsm('h5wasm/node').then(async (mod) => {
      await mod.ready;
      return mod;
    });
  }
  return h5;
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether `file` starts with (or has at 512, 1024, ... bytes, where a user block may push it) the HDF5 signature. */
function looksLikeHdf5(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size && at <= 1 << 20; at = at === 0 ? 512 : at * 2) {
      fs.readSync(fd, buf, 0, 8, at);
      if (buf.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/** An attribute's value as a list of strings (Keras stores names as fixed-length byte strings). */
function stringList(value: unknown): string[] {
  const one = (v: unknown): string => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v)).replace(/\0+$/, '');
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value.map(one) : [one(value)];
}

/** `name` attribute of `group`, or its chunks `name0`, `name1`, ... (Keras splits long attributes), or null. */
function chunkedAttribute(group: H5.Group, name: string): string[] | null {
  const attrs = group.attrs;
  if (attrs[name] !== undefined) return stringList(attrs[name].value);
  if (attrs[`${name}0`] === undefined) return null;
  const out: string[] = [];
  for (let i = 0; attrs[`${name}${i}`] !== undefined; i++) out.push(...stringList(attrs[`${name}${i}`].value));
  return out;
}

/** The object at path `p` under `root`, or null; each step is checked first, which keeps HDF5's diagnostics quiet. */
function entity(root: H5.Group, p: string): H5.Entity | null {
  let node: H5.Group = root;
  const parts = p.split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    if (!node.keys().includes(parts[i])) return null;
    const next = node.get(parts[i]);
    if (next === null || i === parts.length - 1) return next;
    if (!isGroup(next)) return null;
    node = next;
  }
  return node;
}

function isGroup(e: H5.Entity | null): e is H5.Group {
  return e !== null && (e as { type?: string }).type === 'Group';
}

/**
 * Reads every weight of a Keras HDF5 weights file (see the module doc). Errors name the file and what is
 * wrong: missing, not HDF5, not a Keras weights file, a listed weight that is absent or not numeric.
 * @see notebooks/04-model-construction.ipynb
 */
export async function readKerasWeights(file: string): Promise<KerasWeightsFile> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new Error(`${file} does not exist`);
  }
  if (!st.isFile()) throw new Error(`${file} is not a regular file`);
  if (!looksLikeHdf5(file)) throw new Error(`${file} is not an HDF5 file (no HDF5 signature; ${st.size} bytes): is it a Keras .h5 weights file, or an HTML error page saved by a failed download?`);
  const mod = await loadH5wasm();
  const f = new mod.File(file, 'r');
  try {
    let root: H5.Group = f;
    let layers = chunkedAttribute(f, 'layer_names');
    if (layers === null) {
      const mw = entity(f, 'model_weights');
      if (isGroup(mw)) {
        root = mw;
        layers = chunkedAttribute(root, 'layer_names');
      }
    }
    if (layers === null) {
      throw new Error(`${file} is HDF5 but not a Keras weights file: no "layer_names" attribute at its root or in "model_weights" ` +
        `(top-level entries: ${f.keys().slice(0, 8).join(', ') || 'none'}). A Keras 3 ".weights.h5" file has another layout; save with Keras 2 or use the published file.`);
    }
    const tensors: KerasTensor[] = [];
    for (const layer of layers) {
      const group = entity(root, layer);
      if (!isGroup(group)) throw new Error(`${file}: layer ${layer} is listed in layer_names but has no group`);
      const names = chunkedAttribute(group, 'weight_names') ?? [];
      for (const name of names) {
        const ds = entity(group, name);
        const where = `${root === f ? '' : '/model_weights'}/${layer}/${name}`;
        if (ds === null || (ds as { type?: string }).type !== 'Dataset') throw new Error(`${file}: weight ${name} of layer ${layer} is listed but ${where} is not a dataset`);
        const dataset = ds as H5.Dataset;
        const raw = dataset.value;
        if (!(raw instanceof Float32Array || raw instanceof Float64Array)) {
          throw new Error(`${file}: ${where} is not a float32/float64 array (dtype ${JSON.stringify(dataset.dtype)})`);
        }
        const shape = dataset.shape ?? [];
        const short = name.replace(/:\d+$/, '');
        tensors.push({ layer, weight: short.slice(short.lastIndexOf('/') + 1), path: where, shape, values: raw instanceof Float32Array ? raw : Float32Array.from(raw) });
      }
    }
    const version = f.attrs.keras_version !== undefined ? stringList(f.attrs.keras_version.value)[0] ?? null : null;
    return { layers, tensors, kerasVersion: version };
  } finally {
    f.close();
  }
}

/** One layer to write with {@link writeKerasWeights}: its Keras name and its weights, in order. */
export interface KerasLayerToWrite {
  readonly layer: string;
  readonly weights: readonly { readonly weight: string; readonly shape: readonly number[]; readonly values: Float32Array }[];
}

/**
 * Writes a Keras 2 style HDF5 weights file (the layout of the module doc, weight names `<layer>/<weight>:0`)
 * with the given layers: what the tests build their fixtures with, and a way to hand weights back to Keras
 * (`model.load_weights(file)`).
 * @see notebooks/04-model-construction.ipynb
 */
export async function writeKerasWeights(file: string, layers: readonly KerasLayerToWrite[], kerasVersion = '2.15.0'): Promise<void> {
  const mod = await loadH5wasm();
  const f = new mod.File(file, 'w');
  try {
    const group = (p: string): H5.Group => {
      let g: H5.Group = f;
      for (const part of p.split('/').filter(Boolean)) g = (g.keys().includes(part) ? g.get(part) : g.create_group(part)) as H5.Group;
      return g;
    };
    f.create_attribute('layer_names', layers.map((l) => l.layer));
    f.create_attribute('backend', 'tensorflow');
    f.create_attribute('keras_version', kerasVersion);
    for (const l of layers) {
      const g = group(l.layer);
      const names = l.weights.map((w) => `${l.layer}/${w.weight}:0`);
      // h5wasm cannot write an empty string list; Keras writes an empty array, which reads back as no names.
      if (names.length > 0) g.create_attribute('weight_names', names);
      l.weights.forEach((w, i) => {
        const parts = names[i].split('/');
        const parent = group(`${l.layer}/${parts.slice(0, -1).join('/')}`);
        parent.create_dataset({ name: parts[parts.length - 1], data: w.values, shape: [...w.shape], dtype: '<f' });
      });
    }
  } finally {
    f.close();
  }
}
