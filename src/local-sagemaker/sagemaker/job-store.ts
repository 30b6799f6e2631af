// Where the local SageMaker keeps its jobs (training, processing, transform): a folder per job holding its
// record (job.json, written whole and one write at a time, so that none is lost), its log and its
// /opt/ml; the jobs running in this process, their live records and how to stop them; and the
// creates of one kind made one at a time (two of one name at once would both find it free).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type StatusResourceType, statusResource } from '../../shared/status-changes.js';
import { writeFileAtomic } from '../../shared/write-file-atomic.js';
import type { LogStream } from '../logs/logs.js';
import { resourceOfArn } from '../protocol/account.js';
import { epochSeconds } from '../protocol/request-fields.js';
import type { StatusFeed } from '../protocol/status-feed.js';
import { pathInside } from '../protocol/store-path.js';
import { JobLog } from './job-log.js';

/** What a job's runner is given to follow a stop. */
export interface JobControls<R extends string> {
  signal: AbortSignal;
  /** Why the job was ended early, if it was. */
  stoppedAs(): R | undefined;
  stop(reason: R): void;
}

/** Who hears of a job's status changes (protocol/status-feed.ts): its ARN's type, and its status. */
export interface JobStatusFeed<J> {
  feed: StatusFeed | undefined;
  type: StatusResourceType;
  statusOf(job: J): string;
}

export class JobStore<J extends { LastModifiedTime?: number; CreationTime: number }, R extends string> {
  /** Running jobs, by name: their live record (the one saved) and how to stop them. */
  private readonly active = new Map<string, { job: J; stop(reason: R): void }>();
  private readonly writes = new Map<string, Promise<void>>();
  private creating: Promise<unknown> = Promise.resolve();
  /** Each job run here: settled when its runner has ended (its final record saved). */
  private readonly runs = new Map<string, Promise<void>>();

  constructor(
    readonly dir: string,
    private readonly nameOf: (job: J) => string,
    private readonly statusFeed?: JobStatusFeed<J>,
  ) {}

  jobDir(name: string): string {
    return pathInside(this.dir, name);
  }

  jobNames(): Promise<string[]> {
    return readdir(this.dir).catch(() => [] as string[]);
  }

  /** A job's record: the live one while it runs here, else the saved one. */
  async load(name: string): Promise<J | undefined> {
    const running = this.active.get(name);
    if (running) return running.job;
    try {
      return JSON.parse(await readFile(join(this.jobDir(name), 'job.json'), 'utf8')) as J;
    } catch {
      return undefined;
    }
  }

  async loadAll(): Promise<J[]> {
    const jobs: J[] = [];
    for (const name of await this.jobNames()) {
      const job = await this.load(name);
      if (job !== undefined) jobs.push(job);
    }
    return jobs;
  }

  /** The job of a name in any case (names are unique regardless of case, as on SageMaker). */
  async findByLowerCaseName(lower: string): Promise<J | undefined> {
    const name = (await this.jobNames()).find((candidate) => candidate.toLowerCase() === lower);
    return name === undefined ? undefined : this.load(name);
  }

  /** Writes a job's record, stamped; writes to one job are serialised so that none is lost. */
  save(job: J): Promise<void> {
    job.LastModifiedTime = epochSeconds();
    const name = this.nameOf(job);
    const text = `${JSON.stringify(job, null, 2)}\n`;
    const previous = this.writes.get(name) ?? Promise.resolve();
    const watch = this.statusFeed;
    const status = watch?.statusOf(job);
    const next = previous.then(async () => {
      await writeFileAtomic(join(this.jobDir(name), 'job.json'), text);
      // Once written: a Describe it wakes reads this record, even of a job no longer running here.
      if (watch && status !== undefined) watch.feed?.saved(statusResource(watch.type, name), status);
    });
    this.writes.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  }

  /** `create` run after every create before it has ended. */
  oneAtATime<T>(create: () => Promise<T>): Promise<T> {
    const created = this.creating.then(create);
    this.creating = created.catch(() => undefined);
    return created;
  }

  isActive(name: string): boolean {
    return this.active.has(name);
  }

  /** Runs a job in the background: it is active until its final record is saved. */
  run(job: J, runner: (controls: JobControls<R>) => Promise<void>): void {
    const controller = new AbortController();
    let stoppedAs: R | undefined;
    const stop = (reason: R) => {
      stoppedAs ??= reason;
      controller.abort();
    };
    const name = this.nameOf(job);
    this.active.set(name, { job, stop });
    const ran = runner({ signal: controller.signal, stoppedAs: () => stoppedAs, stop }).finally(() =>
      this.active.delete(name),
    );
    // `ended` settles either way; a runner that throws stays an unhandled rejection (a bug to see).
    this.runs.set(
      name,
      new Promise<void>((resolve) => {
        void ran.finally(resolve);
      }),
    );
  }

  /** Settles when the job has ended, if it runs here; at once for any other. */
  ended(name: string): Promise<void> {
    return this.runs.get(name) ?? Promise.resolve();
  }

  stop(name: string, reason: R): void {
    this.active.get(name)?.stop(reason);
  }

  stopAll(reason: R): void {
    for (const job of this.active.values()) job.stop(reason);
  }

  /** Resolves when no job is running any more and every record is written. */
  async idle(): Promise<void> {
    while (this.active.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all(this.writes.values());
  }

  /** A job's log (one file per stream). */
  logOf(name: string, file = 'log.jsonl'): JobLog {
    return new JobLog(join(this.jobDir(name), file));
  }

  /** Whether the ARN names a job of this store: of its `kind`, by its lower-case name, exactly. */
  async arnExists(arn: string, kind: string, arnOf: (job: J) => string): Promise<boolean> {
    const resource = resourceOfArn(arn);
    if (resource?.kind !== kind) return false;
    const job = await this.findByLowerCaseName(resource.name);
    return job !== undefined && arnOf(job) === arn;
  }

  /** Each job's one log stream in `group`, named as SageMaker names it: JOB/algo-1-EPOCH. */
  async singleHostLogStreams(group: string): Promise<LogStream[]> {
    return (await this.loadAll()).map((job) => ({
      group,
      name: `${this.nameOf(job)}/algo-1-${Math.floor(job.CreationTime)}`,
      creationTime: Math.floor(job.CreationTime * 1000),
      events: () => this.logOf(this.nameOf(job)).read(),
    }));
  }
}
