// The `pipeline` command line: parses arguments, runs one command, and turns its outcome into
// output and an exit code. Stages are passed in, so tests can drive the engine with their own.
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import type { Stage } from '../engine/stage.js';
import { StateBackendError } from '../engine/state/state-backend.js';
import { unwritableFile } from '../shared/unwritable.js';
import { type CliFailure, reportFailure } from './cli-failure.js';
import type { CliIo } from './cli-io.js';
import { approveCommand } from './commands/approve-command.js';
import { destroyCommand } from './commands/destroy-command.js';
import { diffCommand } from './commands/diff-command.js';
import { doctorCommand } from './commands/doctor-command.js';
import { graphCommand } from './commands/graph-command.js';
import { initCommand } from './commands/init-command.js';
import { localEnvCommand } from './commands/local-env-command.js';
import { localServeCommand } from './commands/local-serve-command.js';
import { planCommand } from './commands/plan-command.js';
import { pricesCommand } from './commands/prices-command.js';
import { reportCommand } from './commands/report-command.js';
import { runCommand } from './commands/run-command.js';
import { runsCommand } from './commands/runs-command.js';
import { showCommand } from './commands/show-command.js';
import { statePullCommand, statePushCommand } from './commands/state-command.js';
import { statusCommand } from './commands/status-command.js';
import { unlockCommand } from './commands/unlock-command.js';
import { validateCommand } from './commands/validate-command.js';
import { completionCandidates, completionScript, SHELLS, type Shell } from './completion.js';
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

function withReviewOptions(command: Command): Command {
  return command
    .option('-f, --file <path>', 'the pipeline definition (its .pipeline/ holds the runs)', 'pipeline.yaml')
    .option('--json', 'machine-readable output on stdout', false);
}

function withLocalServeOptions(command: Command): Command {
  return command
    .option('--port <port>', 'the SageMaker API port (0: any free one)', '0')
    .option('--s3-port <port>', 'the S3 port (0: any free one)', '0')
    .option(
      '--host <address>',
      'the address both listen on; another than 127.0.0.1 lets other machines reach them (a team or CI service)',
      '127.0.0.1',
    )
    .option('--data-dir <path>', 'where jobs, endpoints and S3 data live', '.pipeline/local')
    .option('--region <region>', 'the region in ARNs', 'us-east-1')
    .option('--registry <host:port>', 'a local OCI registry (docker-registry) that backs the ECR calls')
    .option('--state-file <path>', 'write the endpoints and pid as JSON to this file once listening')
    .option(
      '--file-images <dir>',
      'run file:// images (as processes of this user) from folders under DIR; repeatable',
      (dir: string, dirs: string[]) => [...dirs, dir],
      [] as string[],
    )
    .option(
      '--file-images-from <file>',
      'also run file:// images from the folders a JSON list in FILE names, read at each request',
    )
    .option(
      '--credentials-file <path>',
      'accept the key pair kept in this file, made owner-only when absent (default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a generated pair)',
    )
    .option('--json', 'print the endpoints as JSON', false);
}

function withInitOptions(command: Command): Command {
  return command
    .option('-f, --file <path>', 'the pipeline definition to write', 'pipeline.yaml')
    .option('--container <dir>', "your container's folder (default: the first Dockerfile found here)")
    .option('--data <dir>', 'the training data: each subfolder becomes a channel (default: data)')
    .option('--name <name>', 'the pipeline and image name (default: this folder)')
    .option('--content-type <type>', 'the content type of the data and of invocations', 'text/csv')
    .option('--invoke-data <file>', 'rows to send to the endpoint after each deployment')
    .option(
      '--label-column <column>',
      "the invoke data's label column (index, 0 the first, or a header name): writes an evaluate section",
    )
    .option('--header', "the invoke data's first line names its columns", false)
    .option('-y, --yes', 'ask nothing on a terminal: what no flag gives takes its default', false)
    .option('--json', 'machine-readable output on stdout', false);
}

/** Terraform's -refresh=false: trust the state instead of one Describe per remote resource. */
const withRefresh = (command: Command): Command =>
  command.option('--no-refresh', 'do not check that what up-to-date stages made still exists (faster)');

function withSelection(command: Command, stageNames: string): Command {
  return withRefresh(command)
    .option('--from <stage>', `run this stage and every one after it, even if up to date (${stageNames})`)
    .option('--to <stage>', 'stop after this stage')
    .option('--only <stage>', 'run just this stage, even if up to date')
    .option('--force', 'run the selected stages even if up to date', false);
}

/** What a command's action gets: its parsed options, its positional arguments, and the world. */
interface Invocation {
  // biome-ignore lint/suspicious/noExplicitAny: each command reads its own options, typed by its function
  options: any;
  args: string[];
  io: CliIo;
  stages: readonly Stage[];
  argv: string[];
}

/** One command of the CLI, as data: registered by one loop, not by copies of one block. */
interface CommandSpec {
  /** `serve` under `local` is written "local serve". */
  name: string;
  description: string;
  /** Which family of options it takes. */
  options: 'pipeline' | 'pipeline-selection' | 'review' | 'local-serve' | 'init';
  argument?: { syntax: string; description: string };
  extra?: (command: Command) => Command;
  run(invocation: Invocation): Promise<CliFailure | undefined>;
}

const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'init',
    description: 'write a commented pipeline.yaml for your container and data, and ignore .pipeline/',
    options: 'init',
    run: ({ options, io, stages }) => initCommand(options, io, stages),
  },
  {
    name: 'run',
    description: 'run every stale stage, in order',
    options: 'pipeline-selection',
    extra: (command) =>
      command
        .addOption(new Option('--dry-run', 'show the plan; run nothing').default(false))
        .option(
          '--lock-timeout <duration>',
          'wait up to this long (30s, 5m) for a lock another run holds',
          '0',
        )
        .option(
          '--jobs <n>',
          "how many of your stages may run at once beside the built-in ones (default: this machine's cores)",
        ),
    run: ({ options, io, stages, argv }) => runCommand(options, io, stages, argv),
  },
  {
    name: 'plan',
    description: 'show what would run and why',
    options: 'pipeline-selection',
    run: ({ options, io, stages }) => planCommand(options, io, stages),
  },
  {
    name: 'status',
    description: 'show each stage: up to date, stale, failed, running',
    options: 'pipeline',
    extra: withRefresh,
    run: ({ options, io, stages }) => statusCommand(options, io, stages),
  },
  {
    name: 'graph',
    description: 'the stages and what each needs, with what a run would do: as text, or --mermaid',
    options: 'pipeline',
    extra: (command) =>
      command.option('--mermaid', 'print a Mermaid flowchart (for a README or a pull request)', false),
    run: ({ options, io, stages }) => graphCommand(options, io, stages),
  },
  {
    name: 'doctor',
    description:
      'check what a run needs (node, docker, the base image, the local SageMaker or AWS) and say what to fix',
    options: 'pipeline',
    run: ({ options, io }) => doctorCommand(options, io),
  },
  {
    name: 'validate',
    description: 'check pipeline.yaml and every environment in it',
    options: 'pipeline',
    run: ({ options, io, stages }) => validateCommand(options, io, stages),
  },
  {
    name: 'prices',
    description:
      "the price table the plan's projected costs, each run's cost and the budget read; --update reads it from AWS's Price List",
    options: 'pipeline',
    extra: (command) =>
      command
        .option('--update', "read SageMaker's on-demand prices from AWS's Price List into the table", false)
        .option(
          '--region <region>',
          'a region to price with --update (repeatable; default: the config’s)',
          (value: string, previous: string[] = []) => [...previous, value],
        ),
    run: ({ options, io }) => pricesCommand(options, io),
  },
  {
    name: 'destroy',
    description:
      "delete the endpoint, endpoint configs and models this pipeline created; stop the local target's servers",
    options: 'pipeline',
    extra: (command) => command.option('-y, --yes', 'do not ask before deleting', false),
    run: ({ options, io, stages }) => destroyCommand(options, io, stages),
  },
  {
    name: 'runs',
    description: 'the experiment history: every run, what changed, key metrics',
    options: 'review',
    run: ({ options, io }) => runsCommand(options, io),
  },
  {
    name: 'show',
    description: 'one run: its stages, metrics, gates and report',
    options: 'review',
    argument: { syntax: '<run>', description: 'a run id, a unique prefix of one, `last` or `last~N`' },
    run: ({ options, args, io }) => showCommand(args[0] as string, options, io),
  },
  {
    name: 'report',
    description:
      'one HTML page across every run: metrics over runs, which model served when, what each run changed',
    options: 'review',
    extra: (command) =>
      command.option('-o, --output <file>', 'where to write it (default: .pipeline/experiments.html)'),
    run: ({ options, io }) => reportCommand(options, io),
  },
  {
    name: 'diff',
    description: 'what differs between two runs: settings, data, image, jobs, metrics',
    options: 'review',
    argument: { syntax: '[runs...]', description: 'two runs (default: the last two)' },
    run: ({ options, args, io }) => diffCommand(args, options, io),
  },
  // The two verdicts on the model a run registered: one spec each, the same options.
  ...(
    [
      [
        'approve',
        'Approved',
        'approve the model a run registered (its gates passed): deploy.requireApproval serves it',
      ],
      [
        'reject',
        'Rejected',
        'reject the model a run registered: it is never served where approval is required',
      ],
    ] as const
  ).map(
    ([name, status, description]): CommandSpec => ({
      name,
      description,
      options: 'pipeline',
      argument: { syntax: '<run>', description: 'a run id, a unique prefix of one, `last` or `last~N`' },
      extra: (command) =>
        command.option('--reason <text>', 'why, kept with the version in the model registry'),
      run: ({ options, args, io }) => approveCommand(args[0] as string, status, options, io),
    }),
  ),
  {
    name: 'unlock',
    description: 'remove a lock whose holder is gone (its id is in the "holds the lock" message)',
    options: 'pipeline',
    argument: { syntax: '<lock-id>', description: 'the id of the lock to remove' },
    extra: (command) => command.option('-y, --yes', 'do not ask before removing it', false),
    run: ({ options, args, io }) => unlockCommand(args[0] as string, options, io),
  },
  {
    name: 'state push',
    description: 'move the state and run history of .pipeline/ to the S3 backend that state: names',
    options: 'pipeline',
    extra: (command) => command.option('--force', 'replace a state the S3 prefix already holds', false),
    run: ({ options, io }) => statePushCommand(options, io),
  },
  {
    name: 'state pull',
    description: 'copy the state and run history from the S3 backend into .pipeline/ (to go back to local)',
    options: 'pipeline',
    run: ({ options, io }) => statePullCommand(options, io),
  },
  {
    name: 'local env',
    description:
      "print the shell exports (key pair, endpoint URLs) for your own aws CLI or boto3 on this project's local SageMaker",
    options: 'pipeline',
    run: ({ options, io }) => localEnvCommand(options, io),
  },
  {
    name: 'completion',
    description: 'print the shell completion script (bash, zsh or fish): eval "$(pipeline completion bash)"',
    options: 'review',
    argument: { syntax: '<shell>', description: 'bash, zsh or fish' },
    run: async ({ args, io }) => {
      const shell = args[0] as Shell;
      if (!SHELLS.includes(shell))
        return { reason: 'usage', message: `completion for ${shell}: the shells are ${SHELLS.join(', ')}` };
      // How this very CLI is run, so that the script works however it was installed (npx, global).
      const cli = [process.execPath, process.argv[1] ?? 'pipeline']
        .map((part) => `'${part.replaceAll("'", "'\\''")}'`)
        .join(' ');
      io.stdout.write(completionScript(shell, cli));
      return undefined;
    },
  },
  {
    name: 'local serve',
    description: 'run the local SageMaker and S3 for any AWS client (aws --endpoint-url ...)',
    options: 'local-serve',
    run: ({ options, io }) => localServeCommand(options, io),
  },
];

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
      `\nStages, in order: ${stageNames}\nExit codes: 0 ok, 1 a stage failed (or a doctor check), 2 bad config or usage, 3 state locked or damaged, 70 internal error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM)`,
    );
  const parents = new Map<string, Command>();
  const parentDescriptions: Record<string, string> = {
    local: 'the local SageMaker that target "local" uses',
    state: 'move the state between this machine and the S3 backend',
  };

  const withOptions: Record<CommandSpec['options'], (command: Command) => Command> = {
    pipeline: withCommonOptions,
    'pipeline-selection': (command) => withSelection(withCommonOptions(command), stageNames),
    review: withReviewOptions,
    'local-serve': withLocalServeOptions,
    init: withInitOptions,
  };
  for (const spec of COMMANDS) {
    const [parentName, name] = spec.name.includes(' ') ? spec.name.split(' ') : [undefined, spec.name];
    if (parentName !== undefined && !parents.has(parentName))
      parents.set(parentName, program.command(parentName).description(parentDescriptions[parentName] ?? ''));
    const parent = parentName !== undefined ? (parents.get(parentName) as Command) : program;
    let command = parent.command(name as string).description(spec.description);
    if (spec.argument) command = command.argument(spec.argument.syntax, spec.argument.description);
    command = withOptions[spec.options](command);
    if (spec.extra) command = spec.extra(command);
    command.action(async (...received: unknown[]) => {
      // commander passes the positional arguments, then the options, then the command.
      const options = received.at(-2) as { json?: boolean; verbose?: boolean; file?: string };
      // Every path below starts from the absolute config file, so a command needs no process.cwd().
      if (typeof options.file === 'string') options.file = resolve(io.cwd ?? process.cwd(), options.file);
      const args = received.slice(0, -2).flat() as string[];
      json = Boolean(options.json);
      if (options.verbose !== undefined) verbose = options.verbose;
      failure = await spec.run({ options, args, io, stages, argv });
    });
  }

  // What the completion scripts ask: the candidates for the word being typed, from this very
  // command tree. Never an error: a shell shows nothing rather than a message.
  if (argv[0] === '__complete') {
    const candidates = await completionCandidates(
      program,
      argv.slice(1),
      stages.map((stage) => stage.name),
      io.cwd ?? process.cwd(),
    ).catch(() => []);
    for (const candidate of candidates) io.stdout.write(`${candidate}\n`);
    return ExitCode.ok;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      const quiet = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      return quiet ? ExitCode.ok : ExitCode.usage;
    }
    const unwritable = unwritableFile(error);
    failure = unwritable
      ? { reason: 'unwritable', file: unwritable }
      : error instanceof StateBackendError
        ? { reason: 'state-backend', message: error.message }
        : { reason: 'internal', error };
  }
  if (!failure) return ExitCode.ok;
  const report = reportFailure(failure, verbose);
  // A run's record and doctor's report are the JSON of their command, failed or not.
  const reportedAlready = ['stage-failed', 'interrupted', 'checks-failed'].includes(failure.reason);
  if (json && !reportedAlready) {
    io.stdout.write(`${JSON.stringify(report.json, null, 2)}\n`);
  }
  io.stderr.write(`${report.text}\n`);
  return report.exitCode;
}
