// The CloudWatch Logs calls the train stage reads a job's log with (DescribeLogStreams,
// GetLogEvents), served from the local jobs' logs in the shape CloudWatch Logs answers with:
// group /aws/sagemaker/TrainingJobs, one stream JOB/algo-1-EPOCH per job, forward tokens.
import { AwsError, validation } from './aws-error.js';
import type { Operation } from './json-service.js';
import { field, type Input, required } from './request-fields.js';
import type { TrainingJobs } from './training-jobs.js';

export const TRAINING_LOG_GROUP = '/aws/sagemaker/TrainingJobs';

function streamOf(stream: string): { job: string } {
  const job = stream.split('/')[0];
  if (!job || !/^algo-\d+-\d+$/.test(stream.split('/')[1] ?? ''))
    throw new AwsError('ResourceNotFoundException', `The specified log stream does not exist: ${stream}`);
  return { job };
}

function logGroup(input: Input): string {
  const group = required<string>(input, 'logGroupName', 'string');
  if (group !== TRAINING_LOG_GROUP) {
    throw new AwsError('ResourceNotFoundException', `The specified log group does not exist: ${group}`);
  }
  return group;
}

export function trainingLogOperations(jobs: TrainingJobs): Record<string, Operation> {
  return {
    DescribeLogStreams: async (input) => {
      const group = logGroup(input);
      const prefix = field<string>(input, 'logStreamNamePrefix', 'string') ?? '';
      const streams = [];
      for (const name of await jobs.jobNames()) {
        const job = await jobs.describe({ TrainingJobName: name }).catch(() => undefined);
        if (!job) continue;
        const stream = `${name}/algo-1-${Math.floor(job.CreationTime)}`;
        if (!stream.startsWith(prefix)) continue;
        const events = jobs.logOf(name).read();
        streams.push({
          logStreamName: stream,
          creationTime: Math.floor(job.CreationTime * 1000),
          firstEventTimestamp: events[0]?.timestamp,
          lastEventTimestamp: events.at(-1)?.timestamp,
          arn: `arn:aws:logs:local:000000000000:log-group:${group}:log-stream:${stream}`,
        });
      }
      return { logStreams: streams.sort((a, b) => a.logStreamName.localeCompare(b.logStreamName)) };
    },
    GetLogEvents: async (input) => {
      logGroup(input);
      const { job } = streamOf(required<string>(input, 'logStreamName', 'string'));
      if (!(await jobs.jobNames()).includes(job))
        throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist');
      const token = field<string>(input, 'nextToken', 'string');
      if (token !== undefined && !/^[fb]\/\d+$/.test(token))
        throw validation(`The specified nextToken is invalid: ${token}`);
      const limit = Math.min(field<number>(input, 'limit', 'number') ?? 10_000, 10_000);
      const events = jobs.logOf(job).read();
      const start = token
        ? Number(token.slice(2))
        : field<boolean>(input, 'startFromHead', 'boolean')
          ? 0
          : Math.max(0, events.length - limit);
      const page = events.slice(start, start + limit);
      const end = start + page.length;
      return {
        events: page.map((event) => ({ ...event, ingestionTime: event.timestamp })),
        nextForwardToken: `f/${end}`,
        nextBackwardToken: `b/${start}`,
      };
    },
  };
}
