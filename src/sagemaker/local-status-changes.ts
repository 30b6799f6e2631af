// The local SageMaker's status changes (GET /_pipeline/status-changes, local-sagemaker/protocol/
// status-feed.ts), asked with its keys: what sagemaker/status-wait.ts waits on between two
// Describe calls on target local.
import { httpRequest } from '../shared/http-request.js';
import { signedHeaders } from '../shared/sigv4.js';
import { STATUS_CHANGES_PATH } from '../shared/status-changes.js';
import type { LocalSageMakerAccess } from './local-sagemaker-of.js';

/** A service's status changes, as the local SageMaker offers them. */
export interface StatusChanges {
  /**
   * Its change count once it passes `after` (now, without one), or as it is after `waitMs`;
   * undefined when the service has no such route.
   */
  wait(resource: string, after: number | undefined, waitMs: number): Promise<number | undefined>;
}

/** The status changes of a local SageMaker, asked with its keys. */
export function localStatusChanges(
  daemon: Omit<LocalSageMakerAccess, 's3Endpoint' | 'registry' | 'shared'>,
): StatusChanges {
  return {
    async wait(resource, after, waitMs) {
      const url = new URL(STATUS_CHANGES_PATH, daemon.endpoint);
      url.searchParams.set('resource', resource);
      if (after !== undefined) url.searchParams.set('after', String(after));
      url.searchParams.set('waitMs', String(Math.round(waitMs)));
      const answer = await httpRequest(url.href, {
        headers: signedHeaders({
          method: 'GET',
          url,
          headers: {},
          region: daemon.region,
          service: 'sagemaker',
          key: daemon.credentials,
        }),
        // Twice the wait, not forever: a server that stops answering is polled as before.
        timeoutMs: waitMs * 2 + 5000,
      });
      if (answer.status === 404) return undefined;
      if (answer.status !== 200)
        throw new Error(`${STATUS_CHANGES_PATH} answered ${answer.status}: ${answer.text}`);
      return (JSON.parse(answer.text) as { seq: number }).seq;
    },
  };
}
