// The `process` runtime: the container's `train` and `serve` programs run as child processes of
// this machine's node, with OPT_ML (or a model folder) standing in for /opt/ml.
import { basename, dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type {
  BuiltImage,
  ContainerRuntime,
  RunningServer,
  ServeRequest,
  TrainRequest,
} from './container-runtime.js';
import { forEachLine } from './line-splitter.js';

function programDir(image: BuiltImage): string {
  if (image.runtime !== 'process') throw new Error(`the process runtime cannot run a ${image.runtime} image`);
  return image.programDir;
}

/** Ends a child: SIGTERM, then SIGKILL once the grace period has passed. */
export async function terminate(child: ResultPromise, graceSeconds: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceSeconds * 1000);
  await child.catch(() => undefined);
  clearTimeout(timer);
}

export const processRuntime: ContainerRuntime = {
  kind: 'process',

  async train(request: TrainRequest) {
    const child = execa('node', [join(programDir(request.image), 'dist', 'train.js')], {
      env: { ...request.env, OPT_ML: request.mlDir },
      reject: false,
      all: true,
      stdin: 'ignore',
    });
    forEachLine(child.all, request.log);
    const onAbort = () => void terminate(child, request.stopGraceSeconds ?? 120);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const result = await child;
    request.signal?.removeEventListener('abort', onAbort);
    return { exitCode: result.exitCode ?? (result.signal === 'SIGKILL' ? 137 : 143) };
  },

  async serve(request: ServeRequest): Promise<RunningServer> {
    // serve reads OPT_ML/model, as a container reads /opt/ml/model.
    if (basename(request.modelDir) !== 'model')
      throw new Error(`the model folder must be named "model": ${request.modelDir}`);
    const mlDir = dirname(request.modelDir);
    const child = execa('node', [join(programDir(request.image), 'dist', 'serve.js')], {
      env: { ...request.env, OPT_ML: mlDir, SAGEMAKER_BIND_TO_PORT: String(request.port) },
      reject: false,
      all: true,
      stdin: 'ignore',
    });
    forEachLine(child.all, request.log);
    return {
      url: `http://127.0.0.1:${request.port}`,
      exited: child.then((result) => result.exitCode ?? 143),
      stop: (graceSeconds = 30) => terminate(child, graceSeconds),
    };
  },
};
