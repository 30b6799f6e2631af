// Runs every compiled test (dist/test/**/*.test.js) with node's test runner, two jobs at a time
// (the machine has 2 cores). A job is one test file, except the docker suites: they look at every
// container carrying the project's label, so they run one after another as a single job. The
// longest jobs start first, so that the two lanes end together. Each job's output is printed as
// it ends; the last line gives the totals.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Suites that look at every container the docker runtime labels: one at a time, as one job. */
const DOCKER_SUITES = [
  'dist/test/local/docker-runtime.test.js',
  'dist/test/local/ecr.test.js',
  'dist/test/stages/build-and-local-test.test.js',
  'dist/test/stages/cloud-stages-docker.test.js',
  'dist/test/package/decision-tree-example.test.js',
];

/** The longest files, longest first (from the timings a full run prints); the rest follow. */
const LONGEST_FIRST = [
  'dist/test/local/aws-cli.test.js',
  'dist/test/reliability/kill-trials-s3.test.js',
  'dist/test/stages/many-files-channel.test.js',
  'dist/test/stages/cloud-stages.test.js',
  'dist/test/reliability/remote-faults.test.js',
  'dist/test/reliability/kill-trials-local.test.js',
  'dist/test/reliability/signal-trials.test.js',
  'dist/test/reliability/secrets.test.js',
  'dist/test/state/s3-backend.test.js',
  'dist/test/stages/seed-end-to-end.test.js',
  'dist/test/stages/deploy-resume.test.js',
  'dist/test/stages/train-reattach.test.js',
  'dist/test/container/engines.test.js',
  'dist/test/container/train-program.test.js',
];

// Only compiled files whose source is still there: tsc leaves a deleted test's output in dist/.
const files = readdirSync('dist/test', { recursive: true })
  .map((name) => join('dist/test', String(name)))
  .filter(
    (path) => path.endsWith('.test.js') && existsSync(path.replace(/^dist\//, '').replace(/\.js$/, '.ts')),
  )
  .map((path) => relative('.', path))
  .sort();
const rank = (file) => {
  const index = LONGEST_FIRST.indexOf(file);
  return index < 0 ? LONGEST_FIRST.length : index;
};
const jobs = [
  { label: 'docker suites, one at a time', files: DOCKER_SUITES.filter((file) => files.includes(file)) },
  ...files
    .filter((file) => !DOCKER_SUITES.includes(file))
    .sort((a, b) => rank(a) - rank(b))
    .map((file) => ({ label: file, files: [file] })),
];
const lanes = Number(process.env.TEST_CONCURRENCY ?? 2);

// The example container's `npm ci` and build, once, before any job that uses it starts: several
// test files prepare it, and two `npm ci` in one folder at once delete each other's node_modules.
// Jobs that never reach the example (no import of test/rig/example-model.js, directly or not) run
// meanwhile, so the lanes do not idle through the install.
const { prepareBuildContext } = await import('../dist/src/runtimes/prepare-build-context.js');
const exampleReady = prepareBuildContext(
  'container',
  (title) => process.stdout.write(`# example container: ${title}\n`),
  () => undefined,
).catch((error) => {
  process.stderr.write(`preparing container/ failed: ${error.message}\n${error.detail ?? ''}\n`);
  process.exit(1);
});
let exampleIsReady = false;
void exampleReady.then(() => {
  exampleIsReady = true;
});

const EXAMPLE_MODULE = resolve('dist/test/rig/example-model.js');
const reachesExample = new Map();
/** Whether a compiled module imports the example's rig, directly or through other modules. */
function usesExample(file, visiting = new Set()) {
  const path = resolve(file);
  if (path === EXAMPLE_MODULE) return true;
  if (reachesExample.has(path)) return reachesExample.get(path);
  if (visiting.has(path)) return false;
  visiting.add(path);
  const imports = [
    ...readFileSync(path, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g),
  ];
  const found = imports.some(([, specifier]) => {
    const dependency = resolve(dirname(path), specifier);
    return existsSync(dependency) && usesExample(dependency, visiting);
  });
  reachesExample.set(path, found);
  return found;
}
for (const job of jobs) job.usesExample = job.files.some((file) => usesExample(file));

// The tests' projects, jobs' folders and local S3s live in TMPDIR. On a memory file system
// (/dev/shm, where there is one) creating a file costs a third of what it costs on this machine's
// disk (5,000 small objects written as the local S3 writes them: 1.2 s against 3.3 s), and the
// suite creates hundreds of thousands. The tool itself is not told: it writes where it is run.
const scratch = (() => {
  if (process.env.TEST_TMPDIR === 'default') return undefined;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return mkdtempSync('/dev/shm/pipeline-tests-');
  } catch {
    return undefined;
  }
})();
const jobEnv = scratch ? { ...process.env, TMPDIR: scratch } : process.env;
if (scratch) process.stdout.write(`# temporary files in ${scratch} (TEST_TMPDIR=default: the system's)\n`);

function runJob(job) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...job.files], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: jobEnv,
    });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('close', (code) => {
      const text = Buffer.concat(output).toString('utf8');
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`# job: ${job.label} (${seconds} s)\n${text}`);
      const count = (name) => Number(text.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
      resolve({ code: code ?? 1, passed: count('pass'), failed: count('fail'), skipped: count('skipped') });
    });
  });
}

const queue = [...jobs];
/** The next job for a free lane: until the example is ready, the first that does not use it. */
async function nextJob() {
  if (!exampleIsReady) {
    const index = queue.findIndex((job) => !job.usesExample);
    if (index >= 0) return queue.splice(index, 1)[0];
    await exampleReady;
  }
  return queue.shift();
}
const results = [];
await Promise.all(
  Array.from({ length: lanes }, async () => {
    for (let job = await nextJob(); job; job = await nextJob()) results.push(await runJob(job));
  }),
);
if (scratch) rmSync(scratch, { recursive: true, force: true });
const total = (key) => results.reduce((sum, result) => sum + result[key], 0);
process.stdout.write(
  `tests: ${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped\n`,
);
process.exit(results.some((result) => result.code !== 0) || total('failed') > 0 ? 1 : 0);
