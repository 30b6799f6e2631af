// Picks the TensorFlow.js backend: the native one (@tensorflow/tfjs-node) when it is installed
// and loads, as in an image built with network access; else WebAssembly, which works offline;
// else plain JavaScript. The choice is printed, since it decides the speed.
import { registerBundledBackends, tf } from './tfjs.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

async function tryNative(): Promise<boolean> {
  // A variable keeps TypeScript from resolving the optional package at compile time.
  const nativePackage = '@tensorflow/tfjs-node';
  try {
    await import(nativePackage);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

export async function initBackend(
  log: (line: string) => void,
  wanted = process.env.TFJS_BACKEND,
): Promise<BackendName> {
  registerBundledBackends();
  tf.enableProdMode();
  const order: BackendName[] =
    wanted === 'wasm' || wanted === 'cpu' || wanted === 'tensorflow'
      ? [wanted]
      : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    const ok = name === 'tensorflow' ? await tryNative() : await tf.setBackend(name).catch(() => false);
    if (ok) {
      await tf.ready();
      log(`backend=${name}`);
      return name;
    }
  }
  throw new Error(`no TensorFlow.js backend could start (tried ${order.join(', ')})`);
}
