// Rules the schema cannot say: settings that depend on each other, and files that must exist.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { JsonPathError, parseJsonPath } from '../../shared/transform-records.js';
import { tuningProblems } from './check-tuning.js';
import type { Diagnostic } from './diagnostic.js';
import type { PipelineConfig } from './pipeline-config.js';
import { makerOf } from './user-outs.js';
import { type PositionMap, pointerOf } from './yaml-source.js';

/** What the rules read besides the config: the environment, and the secret values found so far. */
export interface SemanticContext {
  env: Readonly<Record<string, string | undefined>>;
  secrets: readonly string[];
  /** More rules (the graph of stages, which needs the built-in stages to be checked against). */
  extraChecks?: ExtraConfigCheck;
}

/** A rule given by the caller: the problems it finds, each at a config path. */
export type ExtraConfigCheck = (
  config: PipelineConfig,
  projectDir: string,
) => { path: (string | number)[]; message: string; atKey?: boolean }[];

export function checkSemantics(
  config: PipelineConfig,
  positions: PositionMap,
  projectDir: string,
  { env, secrets, extraChecks }: SemanticContext,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  /** `atKey`: at the setting's name (a whole stage), rather than at its value. */
  const report = (path: (string | number)[], message: string, atKey = false): void => {
    let pointer = pointerOf(path);
    while (pointer !== '' && !positions.has(pointer)) pointer = pointer.slice(0, pointer.lastIndexOf('/'));
    const position = positions.get(pointer);
    diagnostics.push({ message, location: (atKey ? position?.key : undefined) ?? position?.value });
  };
  const mustExist = (path: (string | number)[], relative: string, what: string): void => {
    if (!existsSync(resolve(projectDir, relative))) report(path, `${what} "${relative}" does not exist`);
  };

  const { spot, maxRuntimeSeconds } = config.training;
  if (spot.enabled && spot.maxWaitSeconds === undefined) {
    report(['training', 'spot'], 'spot training needs training.spot.maxWaitSeconds');
  }
  if (spot.maxWaitSeconds !== undefined && spot.maxWaitSeconds < maxRuntimeSeconds) {
    report(
      ['training', 'spot', 'maxWaitSeconds'],
      `training.spot.maxWaitSeconds (${spot.maxWaitSeconds}) must be at least training.maxRuntimeSeconds (${maxRuntimeSeconds})`,
    );
  }
  config.training.metricDefinitions.forEach((metric, index) => {
    try {
      const groups = new RegExp(`${metric.regex}|`).exec('')?.length ?? 1;
      if (groups < 2) {
        report(
          ['training', 'metricDefinitions', index, 'regex'],
          `the regex of metric "${metric.name}" has no capture group: SageMaker reads the value from the first one`,
        );
      }
    } catch (error) {
      report(
        ['training', 'metricDefinitions', index, 'regex'],
        `the regex of metric "${metric.name}" does not compile: ${(error as Error).message}`,
      );
    }
  });
  if (config.target === 'aws') {
    if (!config.aws.roleArn) report(['aws'], 'target "aws" needs aws.roleArn, the SageMaker execution role');
    if (!config.aws.bucket) report(['aws'], 'target "aws" needs aws.bucket for data and model artifacts');
  }
  if (config.state.backend === 's3' && !config.state.bucket) {
    report(['state'], 'state.backend s3 needs state.bucket, the bucket that holds the state and its lock');
  }
  if (config.state.backend !== 's3') {
    for (const key of ['bucket', 'prefix', 'region', 'endpoint'] as const)
      if (config.state[key] !== undefined)
        report(
          ['state', key],
          `state.${key} is used by state.backend s3 only: set backend: s3, or remove it`,
        );
  }
  const { endpoint: sharedEndpoint, s3Endpoint: sharedS3 } = config.local;
  if ((sharedEndpoint === undefined) !== (sharedS3 === undefined))
    report(
      ['local', sharedEndpoint === undefined ? 's3Endpoint' : 'endpoint'],
      `local.${sharedEndpoint === undefined ? 's3Endpoint' : 'endpoint'} needs local.${sharedEndpoint === undefined ? 'endpoint' : 's3Endpoint'}: a shared local SageMaker is reached at both URLs \`pipeline local serve\` prints`,
    );
  // Two clones each with a local SageMaker of its own, sharing one state: the state names jobs,
  // endpoints and S3 data that only one of them can see, and the other's drift checks and skips
  // go wrong (its upload "up to date" over an empty S3, its training job "gone").
  if (
    config.target === 'local' &&
    config.state.backend === 's3' &&
    config.state.endpoint !== undefined &&
    sharedEndpoint === undefined
  )
    report(
      ['state', 'endpoint'],
      "the state is shared (state.endpoint) but the local SageMaker is this clone's own: another clone would read a state naming jobs and data only this one has. Run one `pipeline local serve` for the team and set local.endpoint and local.s3Endpoint to it (the state can then live in its S3, without state.endpoint), or keep state.backend local",
    );
  if (config.evaluate?.labelFormat === 'name' && !config.evaluate.classNames) {
    report(
      ['evaluate', 'labelFormat'],
      'labelFormat "name" needs evaluate.classNames, in the model\'s output order',
    );
  }
  if (!config.deploy.enabled) {
    // No endpoint: no serving model to compare with, no traffic to move, nothing to approve into service.
    (config.evaluate?.gates ?? []).forEach((gate, index) => {
      if (/\bchampion\b/.test(gate))
        report(
          ['evaluate', 'gates', index],
          `gate "${gate}" compares with the serving model: with deploy.enabled false there is none`,
        );
    });
    if (config.deploy.shift)
      report(
        ['deploy', 'shift'],
        "deploy.shift moves an endpoint's traffic: with deploy.enabled false there is no endpoint",
      );
  } else if (config.deploy.strategy !== 'gated') {
    // Compared with the serving model, which only a gated deploy evaluates beside the candidate.
    (config.evaluate?.gates ?? []).forEach((gate, index) => {
      if (/\bchampion\b/.test(gate))
        report(
          ['evaluate', 'gates', index],
          `gate "${gate}" compares with the serving model: it needs deploy.strategy: gated, which evaluates the candidate beside it`,
        );
    });
    if (config.deploy.shift)
      report(
        ['deploy', 'shift'],
        'deploy.shift moves traffic from the serving model to a candidate that passed its gates: it needs deploy.strategy: gated',
      );
  }
  if (config.evaluate && !config.invoke) {
    report(['evaluate'], 'evaluate needs an invoke section: it scores the predictions invoke collects');
  }

  config.image.build.secrets.forEach((secret, index) => {
    if ((secret.env === undefined) === (secret.src === undefined))
      report(
        ['image', 'build', 'secrets', index],
        `build secret "${secret.id}" needs one of env (a variable that holds it) or src (a file), not ${secret.env === undefined ? 'neither' : 'both'}`,
      );
    else if (secret.src !== undefined)
      mustExist(['image', 'build', 'secrets', index, 'src'], secret.src, `build secret "${secret.id}" file`);
    // docker would build without it, silently: the Dockerfile's RUN then fails or, worse, works
    // without what it was meant to have.
    else if (secret.env !== undefined && !env[secret.env])
      report(
        ['image', 'build', 'secrets', index, 'env'],
        `build secret "${secret.id}" reads the environment variable ${secret.env}, which is not set: set it, or remove the secret`,
      );
  });
  config.image.build.args.forEach((arg, index) => {
    // `--build-arg NAME=VALUE` goes through docker's environment (docker-env.ts); anything else
    // is docker's command line, which every local user can read in `ps`.
    const previous = config.image.build.args[index - 1];
    if (arg.startsWith('--build-arg=') || previous === '--build-arg') return;
    if (secrets.some((secret) => secret.length > 0 && arg.includes(secret)))
      report(
        ['image', 'build', 'args', index],
        "this argument holds a secret, and image.build.args reach docker's command line (readable by every local user in `ps`): pass it with image.build.secrets (a BuildKit secret) or image.buildArgs instead",
      );
  });
  mustExist(['image', 'context'], config.image.context, 'build context');
  mustExist(['image', 'dockerfile'], config.image.dockerfile, 'Dockerfile');
  for (const [channel, settings] of Object.entries(config.data)) {
    // A path a user stage makes exists once it has run (check-graph.ts asks for `from` there).
    if (settings.path !== undefined && !makerOf(config, settings.path))
      mustExist(['data', channel, 'path'], settings.path, `data channel "${channel}" path`);
  }
  for (const problem of tuningProblems(config)) report(problem.path, problem.message);
  const transform = config.invoke?.transform;
  for (const key of ['inputFilter', 'outputFilter', 'joinSource'] as const) {
    const value = transform?.[key];
    if (value === undefined) continue;
    if (config.invoke?.via !== 'transform') {
      report(
        ['invoke', 'transform', key],
        `invoke.transform.${key} is a batch transform job's: it needs invoke.via: transform`,
      );
      continue;
    }
    if (key === 'joinSource') continue;
    try {
      parseJsonPath(value, `invoke.transform.${key}`);
    } catch (error) {
      if (!(error instanceof JsonPathError)) throw error;
      report(['invoke', 'transform', key], error.message);
    }
  }
  for (const problem of extraChecks?.(config, projectDir) ?? [])
    report(problem.path, problem.message, problem.atKey);
  if (config.invoke) mustExist(['invoke', 'data'], config.invoke.data, 'invoke data file');
  if (config.localTest.context !== undefined)
    mustExist(
      ['localTest', 'context'],
      config.localTest.context,
      'local-test context (the local /opt/ml mirror)',
    );
  if (config.localTest.sampleData)
    mustExist(['localTest', 'sampleData'], config.localTest.sampleData, 'local-test sample data');
  if (config.evaluate) {
    const { groundTruth, labelColumn } = config.evaluate;
    if ((groundTruth === undefined) === (labelColumn === undefined))
      report(
        ['evaluate'],
        groundTruth === undefined
          ? 'evaluate needs the true labels: groundTruth (a file, one row per row of invoke.data) or labelColumn (a column of invoke.data)'
          : 'evaluate takes groundTruth or labelColumn, not both',
      );
    if (groundTruth !== undefined) mustExist(['evaluate', 'groundTruth'], groundTruth, 'ground-truth file');
    if (typeof labelColumn === 'string' && !config.invoke?.header)
      report(
        ['evaluate', 'labelColumn'],
        `evaluate.labelColumn "${labelColumn}" is a column name: set invoke.header: true (the first line of invoke.data names the columns), or give the column's index`,
      );
  }
  return diagnostics;
}
