// kill -9 of the CLI at chosen points of a run, again and again, with the state in the project's
// folder: after each, `pipeline run` completes, and in the end there is exactly one training job
// per intended training, no orphan endpoint, model or endpoint config, a state file that parses,
// and a record for every run (the killed ones marked killed). The moments come from the run's own
// progress output, not from a clock: each trial makes one stage stale and kills the run when that
// stage starts, or a few of its lines later, so every stage boundary is hit. KILL_TRIALS sets the
// number (8 in CI, one per stage as it starts; `npm run soak` runs 200, later passes a few lines
// into each stage). Everything checked is this project's, so the trials run beside other tests.
import { killTrialSuite } from '../rig/kill-trials.js';

killTrialSuite({ name: 'local', trials: Number(process.env.KILL_TRIALS ?? 8), yaml: '' });
