// Which engine computes the network: the WebAssembly kernel (dense-network.ts) or TensorFlow.js
// operations. TRAINING_ENGINE and SERVING_ENGINE choose; unset means the kernel wherever it can
// run the model. Both programs print the engine they use.
export type Engine = 'kernel' | 'tfjs';

/** A bad setting in the program's environment: reported as the reason, not as a crash. */
export class SettingError extends Error {
  override name = 'SettingError';
}

/** The engine an environment variable asks for; undefined when it leaves the choice to us. */
export function engineWanted(variable: 'TRAINING_ENGINE' | 'SERVING_ENGINE'): Engine | undefined {
  const value = process.env[variable];
  if (value === undefined || value === '') return undefined;
  if (value === 'kernel' || value === 'tfjs') return value;
  throw new SettingError(`${variable} must be "kernel" or "tfjs", not "${value}"`);
}
