// The `pipeline` executable's entry: the real stages, the real process streams.
import { stages } from '../../stages/index.js';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), stages, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
