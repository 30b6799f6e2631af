// Waits until a served model answers GET /ping with 200, as SageMaker's health check does: each
// attempt may take up to 2 s, as SageMaker allows a ping. Attempts start every 50 ms without
// waiting for the last one to end, because a connection made while the server is still starting
// can hang (docker's port proxy accepts it before anything listens behind it): a hung attempt
// must not hide the answer the next one would get. At most 20 are in flight.
import type { RunningServer } from './container-runtime.js';

const ATTEMPT_TIMEOUT_MS = 2000;
const ATTEMPT_EVERY_MS = 50;
const MAX_IN_FLIGHT = 20;

export function waitForPing(server: RunningServer, timeoutSeconds: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let inFlight = 0;
    let lastProblem = 'no answer yet';
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(ticker);
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    };
    const attempt = () => {
      if (settled || inFlight >= MAX_IN_FLIGHT) return;
      inFlight++;
      fetch(`${server.url}/ping`, { signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) })
        .then(async (response) => {
          await response.arrayBuffer();
          if (response.status === 200) finish();
          else lastProblem = `/ping answered ${response.status}`;
        })
        .catch((error: Error) => {
          lastProblem = error.cause ? String(error.cause) : error.message;
        })
        .finally(() => {
          inFlight--;
        });
    };
    const ticker = setInterval(attempt, ATTEMPT_EVERY_MS);
    const deadline = setTimeout(
      () => finish(new Error(`the server did not answer /ping within ${timeoutSeconds}s (${lastProblem})`)),
      timeoutSeconds * 1000,
    );
    void server.exited.then((code) =>
      finish(new Error(`the server exited${code >= 0 ? ` with code ${code}` : ''} before answering /ping`)),
    );
    attempt();
  });
}
