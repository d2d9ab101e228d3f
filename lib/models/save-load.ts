/**
 * Saving and loading models as a `model.json` + `weights.bin` folder, with a Node file IOHandler
 * (tfjs-node's `file://` handler is only there when tfjs-node is installed; this one always is).
 *
 * The format is tfjs's LayersModel format, so the folder also loads in the browser and in
 * `tensorflowjs_converter`. Custom layers (HardSwish, SeededDropout, EuclideanDistance, ...) are
 * registered when `lib/models` and `lib/distances` are imported; loading a model that uses them
 * without importing those modules fails with "Unknown layer". Weights round-trip bit-exactly.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
// Side effects: register every custom layer before any model is deserialized.
import '../distances/euclidean-distance-layer';
import './layers/absolute-difference';
import './layers/freezable-batch-norm';
import './layers/hard-sigmoid';
import './layers/hard-swish';
import './layers/seeded-dropout';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** The folder holding `model.json`, given the folder or the `model.json` path itself. */
function modelJsonPath(location: string): string {
  return location.endsWith('.json') ? location : path.join(location, MODEL_JSON);
}

/**
 * Reads a model.json and the weight files its manifest lists into tfjs ModelArtifacts.
 * @see notebooks/04-model-construction.ipynb
 */
export function readModelArtifacts(location: string): tf.io.ModelArtifacts {
  const jsonPath = modelJsonPath(location);
  if (!fs.existsSync(jsonPath)) throw new Error(`No model at ${location}: ${jsonPath} does not exist`);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw new Error(`${jsonPath} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new Error(`${jsonPath} has no weightsManifest; is it a tfjs model.json?`);
  const dir = path.dirname(jsonPath);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = path.join(dir, p);
      if (!fs.existsSync(file)) throw new Error(`${jsonPath} lists weight file ${p}, which is missing`);
      const buf = fs.readFileSync(file);
      buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    }
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs: specs,
    weightData: tf.io.CompositeArrayBuffer.join(buffers),
  };
}

/**
 * A tfjs IOHandler that saves to and loads from the folder `dir` (created on save).
 * @see notebooks/04-model-construction.ipynb
 */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('fileHandler saves LayersModels only (got a binary GraphDef topology)');
      fs.mkdirSync(dir, { recursive: true });
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      const text = JSON.stringify(json);
      fs.writeFileSync(path.join(dir, WEIGHTS_BIN), Buffer.from(weights));
      fs.writeFileSync(path.join(dir, MODEL_JSON), text);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(JSON.stringify(json.modelTopology)),
          weightSpecsBytes: Buffer.byteLength(JSON.stringify(json.weightsManifest)),
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      return readModelArtifacts(dir);
    },
  };
}

/**
 * Saves `model` to the folder `dir` (model.json + weights.bin). `metadata` (plain JSON, e.g. the config
 * that built the model) is stored in model.json's `userDefinedMetadata`.
 * @see notebooks/04-model-construction.ipynb
 */
export async function saveModel(model: tf.LayersModel, dir: string, metadata?: Record<string, unknown>): Promise<tf.io.SaveResult> {
  if (metadata !== undefined) model.setUserDefinedMetadata(metadata as {});
  return model.save(fileHandler(dir));
}

/**
 * Loads a model saved by {@link saveModel} (or any tfjs LayersModel folder / model.json path).
 * @see notebooks/04-model-construction.ipynb
 */
export async function loadModel(location: string): Promise<tf.LayersModel> {
  const jsonPath = modelJsonPath(location);
  return tf.loadLayersModel(fileHandler(path.dirname(jsonPath)));
}

/**
 * The metadata stored by {@link saveModel}, or null.
 * @see notebooks/04-model-construction.ipynb
 */
export function readModelMetadata(location: string): Record<string, unknown> | null {
  const json = JSON.parse(fs.readFileSync(modelJsonPath(location), 'utf8')) as tf.io.ModelJSON;
  return (json.userDefinedMetadata as Record<string, unknown> | undefined) ?? null;
}

/** One named weight tensor read from a file. */
export interface NamedWeight {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/**
 * The weights of a tfjs model.json (LayersModel or converted Keras model), in manifest order, without
 * building the model: only the weights manifest and the binary files are read, so topologies tfjs
 * cannot deserialize (Keras' lambda layers, for instance) still give their weights. The caller
 * disposes the tensors.
 * @see notebooks/04-model-construction.ipynb
 */
export function readWeights(location: string): NamedWeight[] {
  const artifacts = readModelArtifacts(location);
  const map = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, artifacts.weightSpecs ?? []);
  return (artifacts.weightSpecs ?? []).map((spec) => ({ name: spec.name, tensor: map[spec.name] }));
}
