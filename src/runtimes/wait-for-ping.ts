// Waits until a served model answers GET /ping with 200, as SageMaker's health check does.
import { httpRequest } from '../shared/http-request.js';
import type { RunningServer } from './container-runtime.js';

/**
 * Between attempts: 10 ms for the first two seconds (a model server of the process runtime
 * starts in about 0.2 s, and a refused connection on loopback costs next to nothing), 50 ms after.
 */
const pauseAfter = (waitedMs: number): number => (waitedMs < 2000 ? 10 : 50);
/** An attempt that gets no byte for this long is given up (node:http's socket timeout) and retried. */
const ATTEMPT_TIMEOUT_MS = 2000;

/**
 * Every server the tool starts listens on 127.0.0.1: one that also listens on every interface
 * (run on this machine's own network by the process runtime) is stopped and refused.
 */
async function refuseOpenListeners(server: RunningServer): Promise<void> {
  const open = (await server.listenersBeyondLoopback?.()) ?? [];
  if (open.length === 0) return;
  await server.stop(5);
  throw new Error(
    `the model server listens on ${open.join(', ')}, beyond 127.0.0.1: the process runtime runs it on this machine's own network, where that is every network the machine is on. Bind 127.0.0.1 (the server is given PIPELINE_BIND_HOST=127.0.0.1 and SAGEMAKER_BIND_TO_PORT), or use runtime: docker, which publishes the container's port on 127.0.0.1 only`,
  );
}

export async function waitForPing(server: RunningServer, timeoutSeconds: number): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutSeconds * 1000;
  let exitCode: number | undefined;
  void server.exited.then((code) => {
    exitCode = code;
  });
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new Error(
        `the server exited${exitCode >= 0 ? ` with code ${exitCode}` : ''} before answering /ping`,
      );
    // node:http, not fetch: an attempt whose only abort was an AbortSignal.timeout once hung past it
    // in CI, and the endpoint stayed Creating; a socket timeout destroys the attempt itself.
    let healthy = false;
    try {
      const answer = await httpRequest(`${server.url}/ping`, { timeoutMs: ATTEMPT_TIMEOUT_MS });
      healthy = answer.status === 200;
      if (!healthy) lastProblem = `/ping answered ${answer.status}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    if (healthy) {
      await refuseOpenListeners(server);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, pauseAfter(Date.now() - started)));
  }
  throw new Error(`the server did not answer /ping within ${timeoutSeconds}s (${lastProblem})`);
}
