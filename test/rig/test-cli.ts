// The real CLI entry with the test stages in place of the real ones: the engine, config, state
// and rendering code are exactly those `pipeline` runs.
import { main } from '../../src/cli/main.js';
import { testStages } from './test-stages.js';

process.exitCode = await main(process.argv.slice(2), testStages, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
