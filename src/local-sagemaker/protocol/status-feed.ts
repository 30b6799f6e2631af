// Status changes as events, for a client that would otherwise poll. AWS has no such call: a
// client of SageMaker asks Describe* again and again, and the pipeline still does, for the answer
// itself. What the local SageMaker adds is a way to wait between those calls until the status
// of the one resource the client follows has changed, instead of for a fixed delay: a job that
// ends or an endpoint that goes InService is seen at once rather than up to a poll later.
//
//   GET /_pipeline/status-changes?resource=training-job/NAME&after=SEQ&waitMs=MS
//
// answers {"seq": N} as soon as the resource's change count passes SEQ (at once when it already
// has, or when SEQ is absent), or when MS have passed with no change. The request is SigV4-signed
// with the server's keys like any other. Only a change of status counts (a job's status and
// secondary status, an endpoint's status and config): a training job saving its metrics at every
// epoch wakes nobody.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CHANGES_PATH } from '../../shared/status-changes.js';
import { sendJson } from './json-service.js';

/** The longest one wait may last: a client asks again after it. */
const MAX_WAIT_MS = 30_000;

interface Waiter {
  after: number;
  wake(seq: number): void;
}

export class StatusFeed {
  /** Each resource's change count and the status it last had. */
  private readonly seen = new Map<string, { seq: number; status: string }>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private closed = false;

  /** A resource was saved with this status: a change wakes those waiting on it. */
  saved(resource: string, status: string): void {
    const last = this.seen.get(resource);
    if (last?.status === status) return;
    const seq = (last?.seq ?? 0) + 1;
    this.seen.set(resource, { seq, status });
    for (const waiter of this.waiters.get(resource) ?? []) if (seq > waiter.after) waiter.wake(seq);
  }

  /** The resource's change count now (0 before its first save here). */
  seq(resource: string): number {
    return this.seen.get(resource)?.seq ?? 0;
  }

  /** Resolves with the change count once it passes `after`, or after `waitMs` with it as it is. */
  wait(resource: string, after: number | undefined, waitMs: number, gone?: AbortSignal): Promise<number> {
    const now = this.seq(resource);
    if (after === undefined || now > after || this.closed || gone?.aborted) return Promise.resolve(now);
    return new Promise((resolve) => {
      const waiters = this.waiters.get(resource) ?? new Set<Waiter>();
      this.waiters.set(resource, waiters);
      const end = () => {
        clearTimeout(timer);
        gone?.removeEventListener('abort', end);
        waiters.delete(waiter);
        if (waiters.size === 0 && this.waiters.get(resource) === waiters) this.waiters.delete(resource);
        resolve(this.seq(resource));
      };
      const waiter: Waiter = { after, wake: end };
      waiters.add(waiter);
      const timer = setTimeout(end, Math.min(Math.max(waitMs, 0), MAX_WAIT_MS));
      gone?.addEventListener('abort', end, { once: true });
    });
  }

  /** The server is closing: every wait ends now, and later ones at once. */
  close(): void {
    this.closed = true;
    for (const waiters of [...this.waiters.values()]) for (const waiter of [...waiters]) waiter.wake(0);
  }

  /** The route (after the request's signature was checked); false for any other path. */
  async answer(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    // Every invocation passes here first: it is told apart before any parsing.
    if (!request.url?.startsWith(STATUS_CHANGES_PATH)) return false;
    const url = new URL(request.url, 'http://local');
    if (url.pathname !== STATUS_CHANGES_PATH) return false;
    const resource = url.searchParams.get('resource');
    const after = url.searchParams.get('after');
    const waitMs = Number(url.searchParams.get('waitMs') ?? 0);
    if (request.method !== 'GET' || !resource || (after !== null && !/^\d+$/.test(after)) || !(waitMs >= 0)) {
      sendJson(response, 400, {
        __type: 'ValidationException',
        message: `GET ${STATUS_CHANGES_PATH} takes resource=TYPE/NAME, after=a change count and waitMs=milliseconds`,
      });
      return true;
    }
    // A client that gives up (its own wait aborted) ends the wait with it.
    const gone = new AbortController();
    response.on('close', () => gone.abort());
    const seq = await this.wait(
      resource.toLowerCase(),
      after === null ? undefined : Number(after),
      waitMs,
      gone.signal,
    );
    if (!response.destroyed) sendJson(response, 200, { seq });
    return true;
  }
}
