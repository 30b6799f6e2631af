// The CloudWatch Logs calls over the local SageMaker's logs, answered as CloudWatch Logs answers
// them: training jobs in /aws/sagemaker/TrainingJobs (one stream JOB/algo-N-EPOCH per host),
// processing jobs in /aws/sagemaker/ProcessingJobs (JOB/algo-1-EPOCH) and
// endpoints in /aws/sagemaker/Endpoints/NAME (one stream per variant). DescribeLogGroups,
// DescribeLogStreams, GetLogEvents (forward and backward tokens) and FilterLogEvents (what
// `aws logs tail` uses: terms and quoted phrases as filter patterns).

import type { Operations as LogsOperations } from '../generated/logs-wire.js';
import { ACCOUNT } from '../protocol/account.js';
import { AwsError, validation } from '../protocol/aws-error.js';
import type { HonouredMembers } from '../protocol/honoured-members.js';
import { handlers, type Operation } from '../protocol/json-service.js';
import { filterOf } from './filter-pattern.js';

/** One line of a log, as CloudWatch Logs keeps it. */
export interface LogEvent {
  timestamp: number;
  message: string;
}

export const TRAINING_LOG_GROUP = '/aws/sagemaker/TrainingJobs';
export const PROCESSING_LOG_GROUP = '/aws/sagemaker/ProcessingJobs';
export const TRANSFORM_LOG_GROUP = '/aws/sagemaker/TransformJobs';
export const endpointLogGroup = (endpoint: string): string => `/aws/sagemaker/Endpoints/${endpoint}`;

/** One log stream: where it belongs, when it began, and its events, oldest first. */
export interface LogStream {
  group: string;
  name: string;
  /** Milliseconds since the epoch. */
  creationTime: number;
  events(): Promise<LogEvent[]> | LogEvent[];
}

/** Every stream of the local SageMaker, read afresh on each call. */
export type LogStreams = () => Promise<LogStream[]>;

const notFound = (what: string): AwsError =>
  new AwsError('ResourceNotFoundException', `The specified ${what} does not exist.`);

/** An offset token, `PREFIX/N`, as this server issues them. */
function offsetToken(
  token: unknown,
  prefixes: readonly string[],
): { prefix: string; offset: number } | undefined {
  if (token === undefined || token === null) return undefined;
  const match = String(token).match(/^([a-z])\/(\d+)$/);
  if (!match || !prefixes.includes(match[1] as string))
    throw new AwsError('InvalidParameterException', `The specified nextToken is invalid: ${String(token)}`);
  return { prefix: match[1] as string, offset: Number(match[2]) };
}

export function logOperations(streams: LogStreams, region: string): Record<string, Operation> {
  const groupArn = (group: string) => `arn:aws:logs:${region}:${ACCOUNT}:log-group:${group}`;
  const groupOf = async (input: {
    logGroupName?: string;
    logGroupIdentifier?: string;
  }): Promise<{ name: string; streams: LogStream[] }> => {
    const identifier = input.logGroupName ?? input.logGroupIdentifier;
    if (identifier === undefined) throw validation('logGroupName or logGroupIdentifier is required');
    // An identifier may be the group's ARN.
    const name = identifier.startsWith('arn:')
      ? identifier.replace(/^.*:log-group:/, '').replace(/:\*$/, '')
      : identifier;
    const all = (await streams()).filter((stream) => stream.group === name);
    if (all.length === 0 && name !== TRAINING_LOG_GROUP) throw notFound('log group');
    return { name, streams: all };
  };

  return handlers<LogsOperations>(
    {
      DescribeLogGroups: async (input) => {
        const prefix = input.logGroupNamePrefix ?? '';
        const pattern = input.logGroupNamePattern;
        const groups = new Map<string, number>();
        for (const stream of await streams())
          groups.set(
            stream.group,
            Math.min(groups.get(stream.group) ?? Number.POSITIVE_INFINITY, stream.creationTime),
          );
        const names = [...groups.keys()]
          .filter((name) => name.startsWith(prefix) && (pattern === undefined || name.includes(pattern)))
          .sort();
        const start = offsetToken(input.nextToken, ['g'])?.offset ?? 0;
        const limit = input.limit ?? 50;
        const page = names.slice(start, start + limit);
        return {
          logGroups: page.map((name) => ({
            logGroupName: name,
            creationTime: groups.get(name),
            arn: `${groupArn(name)}:*`,
            logGroupArn: groupArn(name),
            storedBytes: 0,
            metricFilterCount: 0,
            logGroupClass: 'STANDARD',
          })),
          ...(start + limit < names.length ? { nextToken: `g/${start + limit}` } : {}),
        };
      },

      DescribeLogStreams: async (input) => {
        const group = await groupOf(input);
        const prefix = input.logStreamNamePrefix ?? '';
        if (prefix && input.orderBy === 'LastEventTime')
          throw new AwsError(
            'InvalidParameterException',
            'Cannot order by LastEventTime with a logStreamNamePrefix.',
          );
        const described = await Promise.all(
          group.streams
            .filter((stream) => stream.name.startsWith(prefix))
            .map(async (stream) => {
              const events = await stream.events();
              return {
                logStreamName: stream.name,
                creationTime: stream.creationTime,
                ...(events.length > 0
                  ? {
                      firstEventTimestamp: events[0]?.timestamp,
                      lastEventTimestamp: events.at(-1)?.timestamp,
                      lastIngestionTime: events.at(-1)?.timestamp,
                    }
                  : {}),
                arn: `${groupArn(group.name)}:log-stream:${stream.name}`,
              };
            }),
        );
        const byTime = input.orderBy === 'LastEventTime';
        described.sort((a, b) =>
          byTime
            ? (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0)
            : a.logStreamName.localeCompare(b.logStreamName),
        );
        if (input.descending === true) described.reverse();
        const start = offsetToken(input.nextToken, ['s'])?.offset ?? 0;
        const limit = input.limit ?? 50;
        return {
          logStreams: described.slice(start, start + limit),
          ...(start + limit < described.length ? { nextToken: `s/${start + limit}` } : {}),
        };
      },

      GetLogEvents: async (input) => {
        const group = await groupOf(input);
        const stream = group.streams.find((candidate) => candidate.name === input.logStreamName);
        if (!stream) throw notFound('log stream');
        const from = input.startTime ?? Number.NEGATIVE_INFINITY;
        const to = input.endTime ?? Number.POSITIVE_INFINITY;
        const events = (await stream.events()).filter(
          (event) => event.timestamp >= from && event.timestamp < to,
        );
        const limit = Math.min(input.limit ?? 10_000, 10_000);
        const token = offsetToken(input.nextToken, ['f', 'b']);
        // f/N reads forward from event N; b/N reads the page that ends just before event N.
        let start: number;
        if (token?.prefix === 'f') start = token.offset;
        else if (token?.prefix === 'b') start = Math.max(0, token.offset - limit);
        else start = input.startFromHead === true ? 0 : Math.max(0, events.length - limit);
        const end = token?.prefix === 'b' ? Math.min(token.offset, start + limit) : start + limit;
        const page = events.slice(start, end);
        return {
          events: page.map((event) => ({ ...event, ingestionTime: event.timestamp })),
          nextForwardToken: `f/${start + page.length}`,
          nextBackwardToken: `b/${start}`,
        };
      },

      FilterLogEvents: async (input) => {
        const group = await groupOf(input);
        const names = input.logStreamNames;
        const prefix = input.logStreamNamePrefix;
        if (names && prefix !== undefined)
          throw new AwsError(
            'InvalidParameterException',
            'logStreamNames and logStreamNamePrefix cannot both be given.',
          );
        const chosen = group.streams.filter(
          (stream) =>
            (!names || names.includes(stream.name)) &&
            (prefix === undefined || stream.name.startsWith(prefix)),
        );
        const matches = filterOf(input.filterPattern);
        const from = input.startTime ?? Number.NEGATIVE_INFINITY;
        const to = input.endTime ?? Number.POSITIVE_INFINITY;
        const found: {
          logStreamName: string;
          timestamp: number;
          message: string;
          ingestionTime: number;
          eventId: string;
        }[] = [];
        for (const stream of chosen) {
          (await stream.events()).forEach((event, index) => {
            if (event.timestamp < from || event.timestamp > to || !matches(event.message)) return;
            found.push({
              logStreamName: stream.name,
              timestamp: event.timestamp,
              message: event.message,
              ingestionTime: event.timestamp,
              eventId: `${stream.name}#${index}`,
            });
          });
        }
        found.sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId));
        const start = offsetToken(input.nextToken, ['e'])?.offset ?? 0;
        const limit = Math.min(input.limit ?? 10_000, 10_000);
        return {
          events: found.slice(start, start + limit),
          searchedLogStreams: chosen.map((stream) => ({
            logStreamName: stream.name,
            searchedCompletely: true,
          })),
          ...(start + limit < found.length ? { nextToken: `e/${start + limit}` } : {}),
        };
      },
    },
    LOGS_HONOURED,
  );
}

/** What the local CloudWatch Logs honours (protocol/honoured-members.ts). */
const LOGS_HONOURED: HonouredMembers<LogsOperations> = {
  DescribeLogGroups: ['logGroupNamePrefix', 'logGroupNamePattern', 'nextToken', 'limit'],
  DescribeLogStreams: [
    'logGroupName',
    'logGroupIdentifier',
    'logStreamNamePrefix',
    'orderBy',
    'descending',
    'nextToken',
    'limit',
  ],
  GetLogEvents: [
    'logGroupName',
    'logGroupIdentifier',
    'logStreamName',
    'startTime',
    'endTime',
    'nextToken',
    'limit',
    'startFromHead',
  ],
  FilterLogEvents: [
    'logGroupName',
    'logGroupIdentifier',
    'logStreamNames',
    'logStreamNamePrefix',
    'startTime',
    'endTime',
    'filterPattern',
    'nextToken',
    'limit',
    // Deprecated: events are always interleaved, here as on CloudWatch Logs.
    'interleaved',
  ],
};
