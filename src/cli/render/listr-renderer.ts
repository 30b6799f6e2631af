// Shows a run's events with listr2: its live renderer on a terminal, plain timestamped lines
// elsewhere (CI logs). One listr task per planned stage, each waiting for its stage's events;
// the engine does the work, this only draws. When stages run at once on a terminal, their tasks
// are drawn at once (listr2's concurrent mode), each saying what it is doing; in a CI log a stage's
// lines are printed together when its turn in the plan comes (those of a stage that ran beside an
// earlier one wait for it).
import {
  color,
  Listr,
  ListrDefaultRendererLogLevels,
  type ListrTaskWrapper,
  PRESET_TIMER,
  PRESET_TIMESTAMP,
} from 'listr2';
import { summarizeReasons } from '../../engine/plan/stale-reason.js';
import type { PlannedStage } from '../../engine/run/plan-run.js';
import { describeSkip, type RunEvent, type RunEventSink } from '../../engine/run/run-event.js';

type StageEvent = Extract<RunEvent, { stage: string }>;

/** In a CI log, how often a step's progress is printed again, and how soon after it starts. */
const PROGRESS_EVERY_MS = 10_000;
const FIRST_PROGRESS_MS = 2000;
// biome-ignore lint/suspicious/noExplicitAny: listr2's wrapper is generic over renderer types we do not pin.
type Task = ListrTaskWrapper<unknown, any, any>;

interface StageChannel {
  queued: StageEvent[];
  deliver?: (event: StageEvent) => void;
}

export interface Renderer {
  sink: RunEventSink;
  /** Resolves when the renderer has drawn the last event. */
  finished: Promise<void>;
}

export function startListrRenderer(
  plan: readonly PlannedStage[],
  options: { interactive: boolean; concurrent?: boolean },
): Renderer {
  const channels = new Map<string, StageChannel>(plan.map((stage) => [stage.name, { queued: [] }]));
  const lastStep = new Map<string, string>();
  /** Each stage's step, and when its progress was last printed. */
  const steps = new Map<string, string>();
  const progressShown = new Map<string, number>();

  const follow = (name: string, task: Task): Promise<void> =>
    new Promise((resolve, reject) => {
      const channel = channels.get(name) as StageChannel;
      // Drawn side by side, every stage's task starts at once: one not started yet says so.
      if (options.concurrent && channel.queued.length === 0) task.title = `${name}: waiting`;
      channel.deliver = (event) => {
        switch (event.type) {
          case 'stage-start':
            task.title = `${name}: ${summarizeReasons(event.reasons, 2)}`;
            if (event.resuming) task.output = `re-attaching to ${JSON.stringify(event.resuming)}`;
            break;
          case 'stage-step': {
            // In a CI log a step that only counts seconds ("InService (12s)") is not news: a
            // line is printed when the rest of it changes, not every second.
            // A step's first progress line in a CI log comes FIRST_PROGRESS_MS after it starts,
            // when the rate means something.
            progressShown.set(name, Date.now() - PROGRESS_EVERY_MS + FIRST_PROGRESS_MS);
            const key = event.title.replace(/\(\d+s\)/g, '');
            if (!options.interactive && key === lastStep.get(name)) break;
            lastStep.set(name, key);
            steps.set(name, event.title);
            task.title = `${name}: ${event.title}`;
            break;
          }
          case 'stage-progress': {
            // Live on a terminal; in a CI log at most every PROGRESS_EVERY_MS, so that a long
            // upload shows its pace without a line per file.
            const now = Date.now();
            const shown = progressShown.get(name) ?? 0;
            if (!options.interactive && now - shown < PROGRESS_EVERY_MS) break;
            progressShown.set(name, now);
            task.title = `${name}: ${steps.get(name) ?? ''} (${event.text})`;
            break;
          }
          case 'stage-log':
            task.output = event.line;
            break;
          case 'stage-skip':
            task.skip(`${name}: ${describeSkip(event.skip)}`);
            resolve();
            break;
          case 'stage-success':
            task.title = name;
            resolve();
            break;
          case 'stage-failure':
            task.title = name;
            reject(new Error(`${name}: ${event.message}`));
            break;
          case 'stage-interrupted':
            reject(new Error(`${name}: interrupted`));
            break;
        }
      };
      for (const event of channel.queued.splice(0)) channel.deliver(event);
    });

  const list = new Listr(
    plan.map((stage) => ({
      title: stage.name,
      task: (_: unknown, task: Task) => follow(stage.name, task),
      rendererOptions: { outputBar: 5, persistentOutput: false },
    })),
    {
      concurrent: options.concurrent ?? false,
      exitOnError: false,
      registerSignalListeners: false,
      collectErrors: false,
      renderer: 'default',
      fallbackRenderer: 'verbose',
      fallbackRendererCondition: () => !options.interactive,
      rendererOptions: {
        timer: PRESET_TIMER,
        collapseSkips: false,
        showErrorMessage: true,
        // A stage that is up to date is news of nothing wrong: drawn as the summary draws it,
        // not with listr2's yellow warning sign.
        icon: { [ListrDefaultRendererLogLevels.SKIPPED_WITHOUT_COLLAPSE]: '○' },
        color: { [ListrDefaultRendererLogLevels.SKIPPED_WITHOUT_COLLAPSE]: (text) => color.dim(text ?? '') },
      },
      fallbackRendererOptions: { timer: PRESET_TIMER, timestamp: PRESET_TIMESTAMP, logTitleChange: true },
    },
  );
  const finished = list.run().then(
    () => undefined,
    () => undefined,
  );

  return {
    sink: (event) => {
      if (!('stage' in event)) return;
      const channel = channels.get(event.stage);
      if (!channel) return;
      if (channel.deliver) channel.deliver(event);
      else channel.queued.push(event);
    },
    finished,
  };
}
