// The wait between two Describe calls of a job or an endpoint the pipeline follows. On AWS, and
// on any local service without the route, it is the poll's growing delay. On the pipeline's own
// local SageMaker it is the same delay cut short the moment the resource's status changes
// (GET /_pipeline/status-changes, a signed long poll): a job that ends, or an endpoint that goes
// InService, is described at once instead of up to a poll later. The answers still come from
// Describe, as on AWS; only the wait between them changes.
import { Backoff, pause } from '../shared/poll.js';
import { type StatusResourceType, statusResource } from '../shared/status-changes.js';
import type { AwsConnection } from './aws-connection.js';
import type { StatusChanges } from './local-status-changes.js';

export class StatusWait {
  private readonly backoff: Backoff;
  private seq: number | undefined;

  private constructor(
    private changes: StatusChanges | undefined,
    private readonly resource: string,
    poll: AwsConnection['poll'],
  ) {
    this.backoff = new Backoff(poll.firstMs, poll.maxMs);
  }

  /**
   * The wait for one resource, begun before its first Describe: a change between that Describe
   * and the first wait still cuts the wait short.
   */
  static async begin(
    connection: Pick<AwsConnection, 'poll' | 'statusChanges'>,
    type: StatusResourceType,
    name: string,
  ): Promise<StatusWait> {
    const wait = new StatusWait(connection.statusChanges, statusResource(type, name), connection.poll);
    await wait.ask(undefined, 0);
    return wait;
  }

  /** Waits the poll's delay, or until the status changes (or the signal aborts). */
  async next(signal: AbortSignal): Promise<void> {
    const ms = this.backoff.take();
    const started = Date.now();
    if (this.changes && this.seq !== undefined) {
      const before = this.seq;
      await Promise.race([this.ask(before, ms), pause(ms, signal)]);
      if (this.seq !== before || signal.aborted) return;
    }
    // No change (or no route): the rest of the delay.
    await pause(ms - (Date.now() - started), signal);
  }

  /** A change was seen some other way (a new secondary status): the next waits start short. */
  reset(): void {
    this.backoff.reset();
  }

  private async ask(after: number | undefined, waitMs: number): Promise<void> {
    if (!this.changes) return;
    try {
      const seq = await this.changes.wait(this.resource, after, waitMs);
      if (seq === undefined) this.changes = undefined;
      else if (this.seq === undefined || seq > this.seq) this.seq = seq;
    } catch {
      // The route failed once (the server restarting, say): this wait is a plain delay, and the
      // next asks again. The Describe calls report what is wrong with the server itself.
    }
  }
}
