// Runs every compiled test (dist/test/**/*.test.js) with node's test runner, in two phases: the
// tests that own everything they touch two at a time (the machine has 2 cores), then, one at a
// time, the few that look at the whole machine (containers carrying the project's label, model
// programs of this checkout, processes by parent). Ends with one line of totals for both phases.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Tests that inspect machine-wide state, so another test's containers or programs would fail them. */
const MACHINE_WIDE = new Set([
  'dist/test/reliability/kill-trials.test.js',
  'dist/test/local/docker-runtime.test.js',
  'dist/test/local/ecr.test.js',
  'dist/test/stages/build-and-local-test.test.js',
  'dist/test/stages/cloud-stages-docker.test.js',
]);

const files = readdirSync('dist/test', { recursive: true })
  .map((name) => join('dist/test', String(name)))
  .filter((path) => path.endsWith('.test.js'))
  .map((path) => relative('.', path))
  .sort();
const parallel = files.filter((file) => !MACHINE_WIDE.has(file));
const serial = files.filter((file) => MACHINE_WIDE.has(file));
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);

function run(label, concurrencyOfPhase, phaseFiles) {
  return new Promise((resolve) => {
    process.stdout.write(`# phase: ${label} (${phaseFiles.length} files, ${concurrencyOfPhase} at a time)\n`);
    const child = spawn(
      process.execPath,
      ['--test', `--test-concurrency=${concurrencyOfPhase}`, ...phaseFiles],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      const count = (name) => Number(tail.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
      resolve({ code: code ?? 1, passed: count('pass'), failed: count('fail'), skipped: count('skipped') });
    });
  });
}

const results = [
  await run('independent tests', concurrency, parallel),
  await run('machine-wide tests', 1, serial),
];
const passed = results.reduce((sum, result) => sum + result.passed, 0);
const failed = results.reduce((sum, result) => sum + result.failed, 0);
const skipped = results.reduce((sum, result) => sum + result.skipped, 0);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(results.some((result) => result.code !== 0) || failed > 0 ? 1 : 0);
