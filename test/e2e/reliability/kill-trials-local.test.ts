// kill -9 of the CLI at chosen points of a run, again and again, with the state in the project's
// folder: after each, the next `pipeline run` resumes, and in the end there is exactly one training
// job per intended training, no orphan endpoint, model or endpoint config, a state file that
// parses, and a record for every run (the killed ones marked killed). The moments come from the
// run's own progress output, not from a clock: a round makes every stage stale and kills a run as
// each stage starts (later rounds a few of its lines in), each next run resuming the last, so every
// stage boundary is hit. KILL_TRIALS sets the number of kills (9 in CI: one round, one per stage, prepare among them;
// `npm run soak` runs 200). Everything checked is this project's, so the trials run beside other tests.
import { killTrialSuite } from '../../rig/kill-trials.js';

// Gated (the default, said here so that the trials keep covering it): each round's new model is
// deployed as a candidate beside the serving one and promoted by evaluate, so that kills land in
// the candidate's deploy, its evaluation and its promotion, and each recovers to one of the two
// end states (the end checks: one model, one config, InService).
killTrialSuite({
  name: 'local',
  trials: Number(process.env.KILL_TRIALS ?? 9),
  yaml: '',
  sets: ['deploy.strategy=gated'],
});
