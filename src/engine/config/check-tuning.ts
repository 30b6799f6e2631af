// What the schema cannot say about a `tuning:` section: each range either numbers or values, in
// order and fit for its scaling; an objective the training log reports; a Grid of categorical
// ranges only; and the limits each strategy needs. Each problem at its setting.
import type { PipelineConfig } from './pipeline-config.js';

export interface TuningProblem {
  path: (string | number)[];
  message: string;
}

export function tuningProblems(config: PipelineConfig): TuningProblem[] {
  const tuning = config.tuning;
  if (!tuning) return [];
  const problems: TuningProblem[] = [];
  const at = (path: (string | number)[], message: string) =>
    problems.push({ path: ['tuning', ...path], message });
  const metrics = config.training.metricDefinitions.map((metric) => metric.name);
  if (!metrics.includes(tuning.objective.metric))
    at(
      ['objective', 'metric'],
      `the objective ${tuning.objective.metric} is not one of training.metricDefinitions (${metrics.join(', ') || 'none'}): each training job's objective is read from its log by that definition`,
    );
  for (const [name, range] of Object.entries(tuning.ranges)) {
    const here = (key: string, message: string) => at(['ranges', name, ...(key ? [key] : [])], message);
    const numbers = range.min !== undefined || range.max !== undefined;
    if (numbers && range.values !== undefined) {
      here('values', `tuning.ranges.${name}: give min and max, or values, not both`);
      continue;
    }
    if (!numbers && range.values === undefined) {
      here('', `tuning.ranges.${name}: give min and max (a number range) or values (categorical)`);
      continue;
    }
    if (name in config.training.hyperparameters)
      here(
        '',
        `${name} is tuned and also set in training.hyperparameters: SageMaker refuses a hyperparameter that is both`,
      );
    if (!numbers) {
      if (range.type !== undefined || range.scaling !== undefined)
        here(
          range.type !== undefined ? 'type' : 'scaling',
          `tuning.ranges.${name}: type and scaling are for number ranges`,
        );
      continue;
    }
    if (range.min === undefined || range.max === undefined) {
      here(
        range.min === undefined ? '' : 'min',
        `tuning.ranges.${name}: a number range needs both min and max`,
      );
      continue;
    }
    if (range.min > range.max)
      here('min', `tuning.ranges.${name}: min (${range.min}) is above max (${range.max})`);
    if (range.type === 'integer' && (!Number.isInteger(range.min) || !Number.isInteger(range.max)))
      here('type', `tuning.ranges.${name}: an integer range needs whole min and max`);
    if (range.scaling === 'Logarithmic' && range.min <= 0)
      here('scaling', `tuning.ranges.${name}: Logarithmic scaling needs min above 0`);
    if (
      range.scaling === 'ReverseLogarithmic' &&
      (range.type === 'integer' || range.min < 0 || range.max >= 1)
    )
      here(
        'scaling',
        `tuning.ranges.${name}: ReverseLogarithmic scaling needs a continuous range within 0 ≤ min ≤ max < 1`,
      );
  }
  if (tuning.strategy === 'Grid') {
    const numeric = Object.entries(tuning.ranges).find(([, range]) => range.values === undefined);
    if (numeric)
      at(
        ['ranges', numeric[0]],
        `the Grid strategy takes categorical ranges (values) only: ${numeric[0]} is a number range`,
      );
    if (tuning.warmStart) at(['warmStart'], 'the Grid strategy cannot warm start');
  } else if (tuning.maxJobs === undefined)
    at(
      ['strategy'],
      `tuning.maxJobs is needed with the ${tuning.strategy} strategy: how many training jobs to run at most`,
    );
  if (tuning.strategy === 'Hyperband' && tuning.earlyStopping === 'Auto')
    at(['earlyStopping'], 'Hyperband stops training jobs early by itself: earlyStopping must be Off');
  return problems;
}
