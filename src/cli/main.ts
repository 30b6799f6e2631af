// The `pipeline` command line: parses arguments, runs one command, and turns its outcome into
// output and an exit code. Stages are passed in, so tests can drive the engine with their own.
import { Command, CommanderError, Option } from 'commander';
import type { Stage } from '../engine/stage.js';
import { unwritableFile } from '../shared/unwritable.js';
import { type CliFailure, reportFailure } from './cli-failure.js';
import type { CliIo, CommonOptions } from './cli-io.js';
import { destroyCommand } from './commands/destroy-command.js';
import { diffCommand } from './commands/diff-command.js';
import { localServeCommand } from './commands/local-serve-command.js';
import { planCommand } from './commands/plan-command.js';
import { runCommand } from './commands/run-command.js';
import { runsCommand } from './commands/runs-command.js';
import { showCommand } from './commands/show-command.js';
import { statusCommand } from './commands/status-command.js';
import { validateCommand } from './commands/validate-command.js';
import { ExitCode } from './exit-code.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function withCommonOptions(command: Command): Command {
  return command
    .option('-f, --file <path>', 'the pipeline definition', 'pipeline.yaml')
    .option('-e, --env <name>', 'apply the named environment from `environments:`')
    .option(
      '--set <path=value>',
      'override one setting, e.g. --set training.hyperparameters.epochs=300',
      collect,
      [],
    )
    .option('--profile <name>', 'the AWS profile to use (target aws); the same as --set aws.profile=NAME')
    .option('--json', 'machine-readable output on stdout', false)
    .option('-v, --verbose', 'show stack traces for internal errors', false);
}

function withSelection(command: Command, stageNames: string): Command {
  return command
    .option('--from <stage>', `run this stage and every one after it, even if up to date (${stageNames})`)
    .option('--to <stage>', 'stop after this stage')
    .option('--only <stage>', 'run just this stage, even if up to date')
    .option('--force', 'run the selected stages even if up to date', false);
}

export async function main(argv: string[], stages: readonly Stage[], io: CliIo): Promise<number> {
  const stageNames = stages.map((s) => s.name).join(', ');
  let failure: CliFailure | undefined;
  let verbose = argv.includes('--verbose') || argv.includes('-v');
  let json = argv.includes('--json');
  const program = new Command('pipeline')
    .description('Ship a custom model to SageMaker from one pipeline.yaml.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `\nStages, in order: ${stageNames}\nExit codes: 0 ok, 1 a stage failed, 2 bad config or usage, 3 state locked or damaged, 70 internal error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM)`,
    );

  const track = (options: CommonOptions) => {
    verbose = options.verbose;
    json = options.json;
  };

  withSelection(
    withCommonOptions(program.command('run').description('run every stale stage, in order')),
    stageNames,
  )
    .addOption(new Option('--dry-run', 'show the plan; run nothing').default(false))
    .action(async (options) => {
      track(options);
      failure = await runCommand(options, io, stages, argv);
    });
  withSelection(
    withCommonOptions(program.command('plan').description('show what would run and why')),
    stageNames,
  ).action(async (options) => {
    track(options);
    failure = await planCommand(options, io, stages);
  });
  withCommonOptions(
    program.command('status').description('show each stage: up to date, stale, failed, running'),
  ).action(async (options) => {
    track(options);
    failure = await statusCommand(options, io, stages);
  });
  withCommonOptions(
    program.command('validate').description('check pipeline.yaml and every environment in it'),
  ).action(async (options) => {
    track(options);
    failure = await validateCommand(options, io);
  });

  withCommonOptions(
    program
      .command('destroy')
      .description(
        "delete the endpoint, endpoint configs and models this pipeline created; stop the local target's servers",
      ),
  )
    .option('-y, --yes', 'do not ask before deleting', false)
    .action(async (options) => {
      track(options);
      failure = await destroyCommand(options, io, stages);
    });

  const review = (command: Command) =>
    command
      .option('-f, --file <path>', 'the pipeline definition (its .pipeline/ holds the runs)', 'pipeline.yaml')
      .option('--json', 'machine-readable output on stdout', false);
  review(
    program.command('runs').description('the experiment history: every run, what changed, key metrics'),
  ).action(async (options) => {
    json = options.json;
    failure = await runsCommand(options, io);
  });
  review(
    program
      .command('show')
      .argument('<run>', 'a run id, a unique prefix of one, `last` or `last~N`')
      .description('one run: its stages, metrics, gates and report'),
  ).action(async (ref: string, options) => {
    json = options.json;
    failure = await showCommand(ref, options, io);
  });
  review(
    program
      .command('diff')
      .argument('[runs...]', 'two runs (default: the last two)')
      .description('what differs between two runs: settings, data, image, jobs, metrics'),
  ).action(async (refs: string[], options) => {
    json = options.json;
    failure = await diffCommand(refs, options, io);
  });

  const local = program.command('local').description('the local SageMaker that target "local" uses');
  local
    .command('serve')
    .description('run the local SageMaker and S3 for any AWS client (aws --endpoint-url ...)')
    .option('--port <port>', 'the SageMaker API port (0: any free one)', '0')
    .option('--s3-port <port>', 'the S3 port (0: any free one)', '0')
    .option('--data-dir <path>', 'where jobs, endpoints and S3 data live', '.pipeline/local')
    .option('--region <region>', 'the region in ARNs', 'us-east-1')
    .option('--registry <host:port>', 'a local OCI registry (docker-registry) that backs the ECR calls')
    .option('--state-file <path>', 'write the endpoints and pid as JSON to this file once listening')
    .option('--json', 'print the endpoints as JSON', false)
    .action(async (options) => {
      json = options.json;
      failure = await localServeCommand(options, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      const quiet = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      return quiet ? ExitCode.ok : ExitCode.usage;
    }
    const unwritable = unwritableFile(error);
    failure = unwritable ? { reason: 'unwritable', file: unwritable } : { reason: 'internal', error };
  }
  if (!failure) return ExitCode.ok;
  const report = reportFailure(failure, verbose);
  if (json && failure.reason !== 'stage-failed' && failure.reason !== 'interrupted') {
    io.stdout.write(`${JSON.stringify(report.json, null, 2)}\n`);
  }
  io.stderr.write(`${report.text}\n`);
  return report.exitCode;
}
