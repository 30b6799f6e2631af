// The kill -9 trials (kill-trials-local.test.ts) with the state, lock and run history in S3 (the
// local SageMaker's own, on the local target): after each kill the next run meets the killed run's
// lock, is refused, and `pipeline unlock` removes it by the id the refusal names. KILL_TRIALS_S3
// sets the number (2 in CI: one round, killed in train and deploy, where remote work is under way;
// `npm run soak` runs 30, its rounds killing in upload too).
import { killTrialSuite } from '../../rig/kill-trials.js';

killTrialSuite({
  name: 's3',
  trials: Number(process.env.KILL_TRIALS_S3 ?? 2),
  yaml: 'state:\n  backend: s3\n  bucket: kill-trials-state\n',
  // The replace strategy's deploy here; the local trials run the gated default.
  sets: ['deploy.strategy=replace'],
});
