// Saves and loads the model as model.json + weights.bin in a folder. Pure TensorFlow.js has no
// file:// IO in Node, so the artifacts pass through tf.io.withSaveHandler / tf.io.fromMemory.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Tfl from '@tensorflow/tfjs-layers';
import { tf, tfl } from './tfjs.js';

const MODEL_JSON = 'model.json';
const WEIGHTS = 'weights.bin';

export async function saveModel(
  model: Tfl.LayersModel,
  dir: string,
  metadata: Record<string, unknown>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData;
      const buffers = Array.isArray(weightData) ? weightData : weightData ? [weightData] : [];
      await writeFile(join(dir, WEIGHTS), Buffer.concat(buffers.map((b) => Buffer.from(b))));
      const manifest = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS], weights: artifacts.weightSpecs }],
        userDefinedMetadata: metadata,
      };
      await writeFile(join(dir, MODEL_JSON), `${JSON.stringify(manifest)}\n`);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

export async function loadModel(dir: string): Promise<Tfl.LayersModel> {
  const manifest = JSON.parse(await readFile(join(dir, MODEL_JSON), 'utf8'));
  const weights = await readFile(join(dir, WEIGHTS));
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: manifest.modelTopology,
      weightSpecs: manifest.weightsManifest[0].weights,
      weightData,
    }),
  );
}
