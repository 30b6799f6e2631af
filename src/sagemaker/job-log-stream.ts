// Follows a training or processing job's CloudWatch log streams (one per instance, `JOB/algo-N-...`), handing
// each new line over once. Reading logs is a nicety: a failure to read them never fails the job.
import { appendFile } from 'node:fs/promises';
import {
  type CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { isNotFound } from './aws-errors.js';
import { awsErrorName } from './explain-aws-error.js';

/** Where SageMaker writes each kind of job's log. */
export const JOB_LOG_GROUPS = {
  training: '/aws/sagemaker/TrainingJobs',
  processing: '/aws/sagemaker/ProcessingJobs',
} as const;

export class JobLogStream {
  private readonly tokens = new Map<string, string | undefined>();
  private warned = false;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly jobName: string,
    private readonly onLine: (line: string, stream: string) => void,
    private readonly warn: (line: string) => void,
    private readonly logGroup: string = JOB_LOG_GROUPS.training,
  ) {}

  /** Reads every line written since the last call. */
  async poll(): Promise<void> {
    try {
      const { logStreams = [] } = await this.logs.send(
        new DescribeLogStreamsCommand({
          logGroupName: this.logGroup,
          logStreamNamePrefix: `${this.jobName}/`,
        }),
      );
      for (const stream of logStreams) {
        if (stream.logStreamName) await this.drain(stream.logStreamName, logStreams.length > 1);
      }
    } catch (error) {
      // The group appears only once the job's first instance starts.
      if (isNotFound(error) || this.warned) return;
      this.warned = true;
      this.warn(
        `cannot read the job's logs (${awsErrorName(error)}: ${(error as Error).message}); still waiting`,
      );
    }
  }

  private async drain(stream: string, prefixLines: boolean): Promise<void> {
    for (;;) {
      const token = this.tokens.get(stream);
      const page = await this.logs.send(
        new GetLogEventsCommand({
          logGroupName: this.logGroup,
          logStreamName: stream,
          startFromHead: true,
          ...(token ? { nextToken: token } : {}),
        }),
      );
      for (const event of page.events ?? []) {
        const host = stream.split('/')[1] ?? stream;
        this.onLine(prefixLines ? `[${host}] ${event.message ?? ''}` : (event.message ?? ''), stream);
      }
      // The same token back means the end of what is there for now.
      if (!page.nextForwardToken || page.nextForwardToken === token) return;
      this.tokens.set(stream, page.nextForwardToken);
      if ((page.events ?? []).length === 0) return;
    }
  }
}

/**
 * A job's log as a run follows it: each line shown, kept in a file (appended after each poll),
 * and its last lines kept for the message of a failure.
 */
export class FollowedJobLog {
  private readonly stream: JobLogStream;
  private readonly lines: string[] = [];
  private pending: string[] = [];

  constructor(
    logs: CloudWatchLogsClient,
    jobName: string,
    private readonly file: string,
    show: (line: string) => void,
    logGroup: string,
    private readonly keep = 30,
  ) {
    this.stream = new JobLogStream(
      logs,
      jobName,
      (line) => {
        show(line);
        this.lines.push(line);
        if (this.lines.length > this.keep) this.lines.shift();
        this.pending.push(line);
      },
      show,
      logGroup,
    );
  }

  /** Reads what is new, and appends it to the file. */
  async poll(): Promise<void> {
    await this.stream.poll();
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    await appendFile(this.file, `${lines.join('\n')}\n`);
  }

  /** Its last lines, for a failure's message: with the way to the whole log. */
  failureDetail(last = 15): string {
    return [
      ...(this.lines.length > 0 ? ['The end of its log:', ...this.lines.slice(-last)] : []),
      `Its whole log: ${this.file}`,
    ].join('\n');
  }
}
