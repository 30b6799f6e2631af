// TensorFlow.js, loaded with require(). Its packages are CommonJS bundles of several MB: imported
// from ESM, node lexes each one for its named exports and sniffs its module format on every
// start, about 0.2 s of the 0.9 s a training program took to start (profiled); require() loads
// them as they are. Every module takes TensorFlow.js from here, so there is one instance of it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const tf: typeof import('@tensorflow/tfjs-core') = require('@tensorflow/tfjs-core');
export const tfl: typeof import('@tensorflow/tfjs-layers') = require('@tensorflow/tfjs-layers');

/** Registers the plain-JavaScript and WebAssembly backends with tf. */
export function registerBundledBackends(): void {
  require('@tensorflow/tfjs-backend-cpu');
  require('@tensorflow/tfjs-backend-wasm');
}
