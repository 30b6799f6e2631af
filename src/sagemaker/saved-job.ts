// Whether a run re-attaches to the job an interrupted run saved (a training, processing or tuning
// job): yes while it exists, unless its local SageMaker stopped under it (not the job's failure,
// and not one to make the user run again for: the job is made again); a job that is gone is made
// again too. Any other answer is the stage's failure, never a reason to start a second job.
import { STOPPED_WITH_SERVER } from '../local-sagemaker/daemon.js';
import type { AwsConnection } from './aws-connection.js';
import { isNotFound } from './aws-errors.js';
import { explainAwsError } from './explain-aws-error.js';

export interface SavedJob {
  /** `training job`, `processing job`, `tuning job`: as the messages name it. */
  kind: string;
  name: string;
  /** What the run does instead when the job ended with its local SageMaker (`training again`). */
  again: string;
  /** The Describe call, unwrapped: a not-found answer must reach this check as AWS gave it. */
  describe(): Promise<{ FailureReason?: string }>;
  log(line: string): void;
}

export async function reattaches(connection: AwsConnection, job: SavedJob): Promise<boolean> {
  try {
    const found = await job.describe();
    if (connection.target === 'local' && found.FailureReason === STOPPED_WITH_SERVER) {
      job.log(`the ${job.kind} ${job.name} ended when its local SageMaker stopped; ${job.again}`);
      return false;
    }
    job.log(`re-attaching to the ${job.kind} ${job.name}, started by an earlier run`);
    return true;
  } catch (error) {
    if (!isNotFound(error)) throw explainAwsError(error, `describing the ${job.kind} ${job.name}`);
    job.log(`the ${job.kind} ${job.name} is gone; starting a new one`);
    return false;
  }
}
