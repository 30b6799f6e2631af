// The engine in the test's own process: config loaded, state read, plan made and executed with
// the test stages (or any), events collected by a test renderer instead of parsed from a child
// process's output. A case runs in milliseconds; nothing global is touched (no process.exit, no
// signal handler, no stdout): Ctrl-C is an AbortController the test holds.
import { loadConfig } from '../../src/engine/config/load-config.js';
import { FileHasher } from '../../src/engine/plan/file-hasher.js';
import { loadSecretKey, SecretDigester } from '../../src/engine/plan/secret-digest.js';
import { executeRun, type RunOutcome } from '../../src/engine/run/execute-run.js';
import { type PlannedStage, planRun, type Selection } from '../../src/engine/run/plan-run.js';
import type { RunEvent } from '../../src/engine/run/run-event.js';
import type { Stage } from '../../src/engine/stage.js';
import { Redactor } from '../../src/engine/state/redact.js';
import { newRunId } from '../../src/engine/state/run-record.js';
import { readState } from '../../src/engine/state/state-store.js';
import type { TestProject } from './project.js';
import { testStages } from './test-stages.js';

export interface EngineRun {
  plan: PlannedStage[];
  outcome: RunOutcome;
  events: RunEvent[];
  /** The stages that ran, in order. */
  ran: string[];
}

export interface EngineOptions {
  sets?: string[];
  selection?: Selection;
  stages?: readonly Stage[];
  env?: Record<string, string>;
  /** Aborted by the test, as Ctrl-C aborts a run. */
  signal?: AbortSignal;
  /** Called with each event as it happens: a test can act at a chosen moment. */
  onEvent?: (event: RunEvent) => void;
}

export async function runEngine(project: TestProject, options: EngineOptions = {}): Promise<EngineRun> {
  const env = options.env ?? {};
  const loaded = await loadConfig({
    file: project.path('pipeline.yaml'),
    sets: options.sets ?? [],
    env,
    cwd: project.dir,
  });
  if (!loaded.ok) throw new Error(`config: ${loaded.error.diagnostics.map((d) => d.message).join('; ')}`);
  const stateDir = project.path('.pipeline');
  const state = await readState(stateDir, loaded.value.config.name);
  if (!state.ok) throw new Error(`state: ${state.error.detail}`);
  const hasher = await FileHasher.open();
  const secrets = new SecretDigester(await loadSecretKey(stateDir, { create: true }), loaded.value.secrets);
  const stages = options.stages ?? testStages;
  const plan = await planRun(stages, state.value, loaded.value, options.selection ?? {}, {
    hasher,
    secrets,
    stateDir,
    mayStart: true,
    refresh: true,
  });
  if (!plan.ok) throw new Error(`plan: ${JSON.stringify(plan.error)}`);
  const events: RunEvent[] = [];
  const outcome = await executeRun({
    runId: newRunId(),
    loaded: loaded.value,
    stages,
    plan: plan.value,
    state: state.value,
    stateDir,
    hasher,
    redactor: new Redactor(loaded.value.secrets, env),
    secrets,
    argv: ['run'],
    emit: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
    signal: options.signal ?? new AbortController().signal,
    git: { info: Promise.resolve(undefined), dirty: Promise.resolve(undefined) },
  });
  const ran = events
    .filter((event) => event.type === 'stage-success')
    .map((event) => (event as { stage: string }).stage);
  return { plan: plan.value, outcome, events, ran };
}
