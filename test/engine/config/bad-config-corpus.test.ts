// A corpus of broken pipeline.yaml files, each run through the real CLI's main (in this process): exit code 2, every
// message at `pipeline.yaml:LINE:COL`, no stack trace, and the state left exactly as it was.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withProject } from '../../rig/project.js';

const OK_IMAGE = 'image:\n  name: model\n';
const base = (rest: string) => `name: model\n${OK_IMAGE}${rest}`;

interface Case {
  name: string;
  yaml: string;
  /** The LINE:COL the first message must point at, when there is one place to point at. */
  at?: string;
  message: RegExp;
  env?: Record<string, string>;
  /** The command that finds the problem: `run` checks the config it runs, `validate` every environment. */
  command?: string;
}

const CASES: Case[] = [
  {
    name: 'an empty file',
    yaml: '',
    at: '1:1',
    message: /the file is empty/,
  },
  {
    name: 'only comments',
    yaml: '# nothing here\n',
    at: '1:1',
    message: /the file is empty/,
  },
  {
    name: 'a tab in the indentation',
    yaml: 'name: model\nimage:\n\tname: model\n',
    at: '3:1',
    message: /tab/i,
  },
  {
    name: 'an unclosed quote',
    yaml: 'name: "model\nimage:\n  name: model\n',
    message: /quote|Missing closing/i,
  },
  { name: 'an unclosed flow list', yaml: base('data: [a, b\n'), message: /flow|Missing closing|Unexpected/i },
  {
    name: 'a duplicate key',
    yaml: 'name: a\nname: b\nimage:\n  name: model\n',
    at: '2:1',
    message: /unique|duplicate/i,
  },
  {
    name: 'a build argument YAML reads as a number',
    yaml: 'name: model\nimage:\n  name: model\n  buildArgs:\n    NODE_VERSION: 20.10\n',
    at: '5:19',
    message: /image\.buildArgs\.NODE_VERSION must be string, not 20\.1 \(put the value in quotes/,
  },
  {
    name: 'a list at the top',
    yaml: '- name: model\n',
    at: '1:1',
    message: /must be (a mapping|an object|object)/,
  },
  {
    name: 'a scalar at the top',
    yaml: 'model\n',
    at: '1:1',
    message: /must be (a mapping|an object|object)/,
  },
  { name: 'no name', yaml: OK_IMAGE, message: /name/ },
  { name: 'no image', yaml: 'name: model\n', message: /image/ },
  {
    name: 'a name with spaces',
    yaml: 'name: my model!\nimage:\n  name: model\n',
    at: '1:7',
    message: /name/,
  },
  {
    name: 'a name too long for SageMaker',
    yaml: `name: ${'m'.repeat(70)}\n${OK_IMAGE}`,
    at: '1:7',
    message: /name/,
  },
  { name: 'a misspelt target', yaml: base('target: lcoal\n'), at: '4:9', message: /did you mean "local"/ },
  {
    name: 'an unknown runtime',
    yaml: base('runtime: podman\n'),
    at: '4:10',
    message: /runtime must be one of/,
  },
  {
    name: 'an unknown key',
    yaml: base('trainng:\n  instanceCount: 1\n'),
    at: '4:1',
    message: /unknown key "trainng".*did you mean "training"/,
  },
  {
    name: 'an instance type without ml.',
    yaml: base('training:\n  instanceType: m5.large\n'),
    at: '5:17',
    message: /instanceType/,
  },
  {
    name: 'zero instances',
    yaml: base('training:\n  instanceCount: 0\n'),
    at: '5:18',
    message: /instanceCount/,
  },
  {
    name: 'a word for a number',
    yaml: base('training:\n  instanceCount: two\n'),
    at: '5:18',
    message: /instanceCount.*(integer|number)/,
  },
  {
    name: 'a negative volume',
    yaml: base('training:\n  volumeSizeGB: -5\n'),
    at: '5:17',
    message: /volumeSizeGB/,
  },
  {
    name: 'a max runtime over 28 days',
    yaml: base('training:\n  maxRuntimeSeconds: 99999999\n'),
    at: '5:22',
    message: /maxRuntimeSeconds/,
  },
  {
    name: 'hyperparameters as a list',
    yaml: base('training:\n  hyperparameters: [1, 2]\n'),
    at: '5:20',
    message: /hyperparameters/,
  },
  {
    name: 'a hyperparameter that is a map',
    yaml: base('training:\n  hyperparameters:\n    layers: {a: 1}\n'),
    at: '6:13',
    message: /layers/,
  },
  {
    name: 'a spot wait shorter than the runtime',
    yaml: base('training:\n  maxRuntimeSeconds: 3600\n  spot:\n    enabled: true\n    maxWaitSeconds: 60\n'),
    message: /maxWaitSeconds/,
  },
  {
    name: 'a tuning objective no metric definition reads',
    yaml: base(
      "training:\n  metricDefinitions:\n    - { name: loss, regex: 'loss=([0-9.]+)' }\ntuning:\n  objective: { metric: accuracy }\n  maxJobs: 4\n  ranges:\n    lr: { min: 0.001, max: 0.1 }\n",
    ),
    at: '8:24',
    message: /the objective accuracy is not one of training\.metricDefinitions \(loss\)/,
  },
  {
    name: 'a tuning range with neither numbers nor values',
    yaml: base(
      "training:\n  metricDefinitions:\n    - { name: loss, regex: 'loss=([0-9.]+)' }\ntuning:\n  objective: { metric: loss, type: Minimize }\n  maxJobs: 4\n  ranges:\n    lr: { scaling: Logarithmic }\n",
    ),
    at: '11:9',
    message: /tuning\.ranges\.lr: give min and max \(a number range\) or values \(categorical\)/,
  },
  {
    name: 'a logarithmic tuning range from 0',
    yaml: base(
      "training:\n  metricDefinitions:\n    - { name: loss, regex: 'loss=([0-9.]+)' }\ntuning:\n  objective: { metric: loss }\n  maxJobs: 4\n  ranges:\n    lr: { min: 0, max: 0.1, scaling: Logarithmic }\n",
    ),
    at: '11:38',
    message: /Logarithmic scaling needs min above 0/,
  },
  {
    name: 'a grid over a number range, and a tuned hyperparameter also set',
    yaml: base(
      "training:\n  hyperparameters:\n    lr: 0.01\n  metricDefinitions:\n    - { name: loss, regex: 'loss=([0-9.]+)' }\ntuning:\n  strategy: Grid\n  objective: { metric: loss }\n  ranges:\n    lr: { min: 0.001, max: 0.1 }\n",
    ),
    message:
      /lr is tuned and also set in training\.hyperparameters[\s\S]*the Grid strategy takes categorical ranges \(values\) only/,
  },
  {
    name: 'a Random search without maxJobs',
    yaml: base(
      "training:\n  metricDefinitions:\n    - { name: loss, regex: 'loss=([0-9.]+)' }\ntuning:\n  strategy: Random\n  objective: { metric: loss }\n  ranges:\n    opt: { values: [adam, sgd] }\n",
    ),
    at: '8:13',
    message: /tuning\.maxJobs is needed with the Random strategy/,
  },
  {
    name: 'a champion-relative gate with no endpoint',
    yaml: base(
      'deploy:\n  enabled: false\nevaluate:\n  groundTruth: truth.csv\n  gates:\n    - accuracy >= champion\n',
    ),
    at: '9:7',
    message:
      /gate "accuracy >= champion" compares with the serving model: with deploy\.enabled false there is none/,
  },
  {
    name: 'a transform filter that is not SageMaker’s JSONPath',
    yaml: base(
      'invoke:\n  data: rows.csv\n  contentType: text/csv\n  via: transform\n  transform:\n    inputFilter: $..features\n',
    ),
    at: '9:18',
    message: /invoke\.transform\.inputFilter "\$\.\.features" is not a JSONPath SageMaker supports/,
  },
  {
    name: 'a transform filter without a transform',
    yaml: base('invoke:\n  data: rows.csv\n  contentType: text/csv\n  transform:\n    outputFilter: $[1:]\n'),
    at: '8:19',
    message: /invoke\.transform\.outputFilter is a batch transform job's: it needs invoke\.via: transform/,
  },
  {
    name: 'a bucket name with capitals',
    yaml: base('aws:\n  bucket: My_Bucket\n'),
    at: '5:11',
    message: /bucket/,
  },
  {
    name: 'a region that does not exist',
    yaml: base('aws:\n  region: moon\n'),
    at: '5:11',
    message: /region/,
  },
  {
    name: 'a role that is not an ARN',
    yaml: base('aws:\n  roleArn: my-role\n'),
    at: '5:12',
    message: /roleArn/,
  },
  {
    name: 'a shared state beside a local SageMaker of the clone’s own',
    yaml: base('state:\n  backend: s3\n  bucket: team-state\n  endpoint: http://127.0.0.1:9000\n'),
    at: '7:13',
    message: /the state is shared \(state\.endpoint\) but the local SageMaker is this clone's own/,
  },
  {
    name: 'a shared local SageMaker without its S3',
    yaml: base('local:\n  endpoint: http://127.0.0.1:4566\n'),
    at: '5:13',
    message: /local\.endpoint needs local\.s3Endpoint/,
  },
  {
    name: 'a shared local SageMaker URL with a path',
    yaml: base('local:\n  endpoint: http://127.0.0.1:4566/sagemaker\n  s3Endpoint: http://127.0.0.1:4567\n'),
    at: '5:13',
    message: /endpoint/,
  },
  {
    name: 'target aws without role or bucket',
    yaml: base('target: aws\naws:\n  region: us-east-1\n'),
    message: /needs aws\.roleArn/,
  },
  {
    name: 'an endpoint name with underscores',
    yaml: base('deploy:\n  endpointName: my_endpoint\n'),
    at: '5:17',
    message: /endpointName/,
  },
  {
    name: 'a deploy instance type without ml.',
    yaml: base('deploy:\n  instanceType: large\n'),
    at: '5:17',
    message: /instanceType/,
  },
  {
    name: 'a repository name in capitals',
    yaml: 'name: model\nimage:\n  name: model\n  repository: Team/Model\n',
    at: '4:15',
    message: /repository/,
  },
  {
    name: 'an image tag with a space',
    yaml: 'name: model\nimage:\n  name: model\n  tag: v 1\n',
    at: '4:8',
    message: /tag/,
  },
  {
    name: 'a channel name with spaces',
    yaml: base('data:\n  my channel:\n    path: data\n'),
    at: '5:3',
    message: /channel|my channel/,
  },
  {
    name: 'a channel whose data is missing',
    yaml: base('data:\n  training:\n    path: nowhere/train.csv\n'),
    at: '6:11',
    message: /nowhere\/train\.csv/,
  },
  {
    name: 'an unknown distribution',
    yaml: base('data:\n  training:\n    path: data\n    distribution: Random\n'),
    at: '7:19',
    message: /distribution/,
  },
  {
    name: 'a metric regex that does not compile',
    yaml: base("training:\n  metricDefinitions:\n    - name: loss\n      regex: 'loss=(['\n"),
    at: '7:14',
    message: /regex/,
  },
  {
    name: 'a metric without a name',
    yaml: base("training:\n  metricDefinitions:\n    - regex: 'loss=([0-9.]+)'\n"),
    at: '6:7',
    message: /name/,
  },
  {
    name: 'invoke data that is missing',
    yaml: base('invoke:\n  data: eval/missing.csv\n'),
    at: '5:9',
    message: /eval\/missing\.csv/,
  },
  {
    name: 'a batch size of zero',
    yaml: base('invoke:\n  data: data/train.csv\n  batchSize: 0\n'),
    at: '6:14',
    message: /batchSize/,
  },
  {
    name: 'ground truth that is missing',
    yaml: base('evaluate:\n  groundTruth: truth.csv\n'),
    at: '5:16',
    message: /truth\.csv/,
  },
  {
    name: 'evaluate with neither ground truth nor a label column',
    yaml: base('invoke:\n  data: data/train.csv\nevaluate:\n  labelFormat: index\n'),
    at: '7:3',
    message: /evaluate needs the true labels: groundTruth .* or labelColumn/,
  },
  {
    name: 'a label column named without a header',
    yaml: base('invoke:\n  data: data/train.csv\nevaluate:\n  labelColumn: label\n'),
    at: '7:16',
    message: /labelColumn "label" is a column name: set invoke\.header: true/,
  },
  {
    name: 'an unknown label format',
    yaml: base('evaluate:\n  groundTruth: data/train.csv\n  labelFormat: onehot\n'),
    at: '6:16',
    message: /did you mean "one-hot"/,
  },
  {
    name: 'a gate that is not a comparison',
    yaml: base("evaluate:\n  groundTruth: data/train.csv\n  gates: ['accuracy ~ 0.9']\n"),
    at: '6:11',
    message: /gates/,
  },
  {
    name: 'a broken environment',
    yaml: base('environments:\n  prod:\n    target: cloud\n'),
    at: '6:13',
    message: /target/,
    command: 'validate',
  },
  {
    name: 'a metric regex without a capture group',
    yaml: base("training:\n  metricDefinitions:\n    - name: loss\n      regex: 'loss=[0-9.]+'\n"),
    at: '7:14',
    message: /no capture group/,
  },
  {
    name: 'an unset variable without a default',
    yaml: base('aws:\n  bucket: ${NO_SUCH_BUCKET_VAR}\n'),
    at: '5:11',
    message: /NO_SUCH_BUCKET_VAR/,
  },
  {
    name: 'an alias bomb',
    yaml: `name: model\n${OK_IMAGE}a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n`,
    message: /alias|unknown key/i,
  },
  {
    name: 'a sample row count below one',
    yaml: base('localTest:\n  sampleRows: -1\n'),
    at: '5:15',
    message: /sampleRows/,
  },
  {
    name: '100,000 nested brackets',
    yaml: base(`training:\n  hyperparameters:\n    deep: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`),
    message: /nested too deeply/,
  },
  {
    name: 'a file of 10 MB',
    yaml: base(`# ${'x'.repeat(10 * 1024 * 1024)}\ntarget: nowhere\n`),
    message: /passes 256 KiB/,
  },
];

describe(`a corpus of ${CASES.length} bad pipeline.yaml files`, () => {
  it('has at least 40 cases', () => assert.ok(CASES.length >= 40));

  it('gives each exit code 2 and file:line:col messages, no stack trace, and leaves the state alone', async () => {
    await withProject({ 'data/train.csv': '1,2\n' }, async (project) => {
      const state = '{"version":1,"pipeline":"model","stages":{}}\n';
      await project.write({ '.pipeline/state.json': state });
      const failures: string[] = [];
      for (const badCase of CASES) {
        await project.write({ 'pipeline.yaml': badCase.yaml, '.pipeline/state.json': state });
        const result = await project.runInProcess([badCase.command ?? 'run'], {
          real: true,
          ...(badCase.env ? { env: badCase.env } : {}),
        });
        const problems: string[] = [];
        if (result.exitCode !== 2) problems.push(`exit ${result.exitCode}`);
        if (!/pipeline\.yaml(:\d+:\d+)?: /.test(result.stderr))
          problems.push('no pipeline.yaml:LINE:COL message');
        if (badCase.at && !result.stderr.includes(`pipeline.yaml:${badCase.at}: `))
          problems.push(`not at ${badCase.at}`);
        if (!badCase.message.test(result.stderr)) problems.push(`message not ${badCase.message}`);
        if (/\n\s+at .+:\d+:\d+\)?\n/.test(result.stderr)) problems.push('a stack trace');
        const longest = Math.max(...result.stderr.split('\n').map((line) => line.length));
        if (longest > 400) problems.push(`a line of ${longest} characters`);
        if ((await project.read('.pipeline/state.json')) !== state) problems.push('the state changed');
        if (problems.length > 0)
          failures.push(`${badCase.name}: ${problems.join(', ')}\n${result.stderr.slice(0, 600)}`);
      }
      assert.deepEqual(failures, []);
    });
  });
});
