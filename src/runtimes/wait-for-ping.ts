// Waits until a served model answers GET /ping with 200, as SageMaker's health check does.
import type { RunningServer } from './container-runtime.js';

export async function waitForPing(server: RunningServer, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
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
    try {
      const response = await fetch(`${server.url}/ping`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      lastProblem = `/ping answered ${response.status}`;
    } catch (error) {
      lastProblem = (error as Error).cause ? String((error as Error).cause) : (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the server did not answer /ping within ${timeoutSeconds}s (${lastProblem})`);
}
