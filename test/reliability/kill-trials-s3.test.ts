// The kill -9 trials (kill-trials-local.test.ts) with the state, lock and run history in S3 (the
// local SageMaker's own, on the local target): each recovery first meets the killed run's lock,
// unlocks it by the id the refusal names, and completes. KILL_TRIALS_S3 sets the number (2 in CI,
// killed in train and in deploy; `npm run soak` runs 30, cycling train, deploy and upload).
import { killTrialSuite } from '../rig/kill-trials.js';

killTrialSuite({
  name: 's3',
  trials: Number(process.env.KILL_TRIALS_S3 ?? 2),
  yaml: 'state:\n  backend: s3\n  bucket: kill-trials-state\n',
});
