// Follows a training job's CloudWatch log streams (one per instance, `JOB/algo-N-...`), handing
// each new line over once. Reading logs is a nicety: a failure to read them never fails the job.
import {
  type CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { isNotFound } from './aws-errors.js';
import { awsErrorName } from './explain-aws-error.js';

const LOG_GROUP = '/aws/sagemaker/TrainingJobs';

export class JobLogStream {
  private readonly tokens = new Map<string, string | undefined>();
  private warned = false;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly jobName: string,
    private readonly onLine: (line: string, stream: string) => void,
    private readonly warn: (line: string) => void,
  ) {}

  /** Reads every line written since the last call. */
  async poll(): Promise<void> {
    try {
      const { logStreams = [] } = await this.logs.send(
        new DescribeLogStreamsCommand({ logGroupName: LOG_GROUP, logStreamNamePrefix: `${this.jobName}/` }),
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
          logGroupName: LOG_GROUP,
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
