// Runs every compiled test (dist/test/**/*.test.js) with node's test runner, two jobs at a time
// (the machine has 2 cores). A job is one test file, except the docker suites (named
// *.docker.test.ts): they look at every container carrying the project's label, so they run one
// after another as a single job. The longest jobs start first, so that the two lanes end together:
// by the times of the last run here (dist/test-timings.json), else end-to-end suites first. Each
// job's output is printed as it ends; the last line gives the totals.
//
// `--fast`: only the tests that start no process, server or container (none of their own imports
// is a child-process library or a rig that starts one): the logic, in seconds.
import { spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const fast = process.argv.includes('--fast');
const DOCKER_SUITE = /\.docker\.test\.js$/;
const TIMINGS = 'dist/test-timings.json';

/** Imports that start processes, servers or containers: a test that has one is not fast. */
const STARTS_SOMETHING = [
  /^execa$/,
  /^playwright-core$/,
  /^node:child_process$/,
  /^node:http$/,
  /\/rig\/(local-s3|local-sagemaker|local-target|docker|example-model|aws-cli|installed-tool|kill-trials|python-container|registry)\.js$/,
  /\/src\/local-sagemaker\/(s3\/)?(local-sagemaker|local-s3|daemon)\.js$/,
];
/** A test project's CLI as a child (run, spawn) or with the real stages, which start servers. */
const STARTS_THE_CLI = /\.(run|spawn)\(|real: true/;
const isFast = (file) => {
  const text = readFileSync(file, 'utf8');
  const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map(([, what]) => what);
  return (
    !imports.some((what) => STARTS_SOMETHING.some((pattern) => pattern.test(what))) &&
    !STARTS_THE_CLI.test(text)
  );
};

// Only compiled files whose source is still there: tsc leaves a deleted test's output in dist/.
const files = readdirSync('dist/test', { recursive: true })
  .map((name) => join('dist/test', String(name)))
  .filter(
    (path) => path.endsWith('.test.js') && existsSync(path.replace(/^dist\//, '').replace(/\.js$/, '.ts')),
  )
  .map((path) => relative('.', path))
  .filter((file) => !fast || isFast(file))
  .sort();
const timings = (() => {
  try {
    return JSON.parse(readFileSync(TIMINGS, 'utf8'));
  } catch {
    return {};
  }
})();
/** The expected length of a job: the last run's, else a guess from where the suite lives. */
const expected = (job) =>
  timings[job.label] ?? (/^dist\/test\/(e2e|stages)\//.test(job.files[0] ?? '') ? 30 : 5);
const dockerSuites = files.filter((file) => DOCKER_SUITE.test(file));
const jobs = [
  ...(dockerSuites.length > 0 ? [{ label: 'docker suites, one at a time', files: dockerSuites }] : []),
  ...files.filter((file) => !DOCKER_SUITE.test(file)).map((file) => ({ label: file, files: [file] })),
].sort((a, b) => expected(b) - expected(a));
const lanes = Number(process.env.TEST_CONCURRENCY ?? 2);

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

// The example container's `npm ci` and build, once, before any job that uses it starts: several
// test files prepare it, and two `npm ci` in one folder at once delete each other's node_modules.
// Jobs that never reach the example (no import of test/rig/example-model.js, directly or not) run
// meanwhile, so the lanes do not idle through the install; with none that does, it is not made.
const { prepareBuildContext } = await import('../dist/src/runtimes/prepare-build-context.js');
const exampleReady = jobs.some((job) => job.usesExample)
  ? prepareBuildContext(
      'container',
      (title) => process.stdout.write(`# example container: ${title}\n`),
      () => undefined,
    ).catch((error) => {
      process.stderr.write(`preparing container/ failed: ${error.message}\n${error.detail ?? ''}\n`);
      process.exit(1);
    })
  : Promise.resolve();
let exampleIsReady = false;
void exampleReady.then(() => {
  exampleIsReady = true;
});

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
      timings[job.label] = Number(seconds);
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
if (!fast) writeFileSync(TIMINGS, `${JSON.stringify(timings, null, 2)}\n`);
const total = (key) => results.reduce((sum, result) => sum + result[key], 0);
process.stdout.write(
  `tests: ${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped\n`,
);
process.exit(results.some((result) => result.code !== 0) || total('failed') > 0 ? 1 : 0);
