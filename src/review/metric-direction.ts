// Which way is better for a metric: up for accuracy, F1, AUC or R², down for a loss or an error.
// The report, the Markdown summary, `diff` and the run's headline colour a change by it, so that a
// rise of log_loss never reads as an improvement. A metric of unknown direction is not coloured.

export type Direction = 'higher' | 'lower';

/** Names (or their last part after `_` or `.`) whose lower values are better. */
const LOWER =
  /(^|[_.])(loss|error|err|mae|mse|rmse|mape|smape|msle|rmsle|logloss|log_loss|brier|wer|cer|perplexity)$/i;
/** Names whose higher values are better. */
const HIGHER =
  /(^|[_.])(accuracy|acc|f1|macro_f1|micro_f1|weighted_f1|precision|recall|auc|roc_auc|pr_auc|r2|map|ndcg|bleu|rouge|iou|dice|specificity|sensitivity|kappa|mcc|support_weighted_f1)$/i;

export function metricDirection(name: string): Direction | undefined {
  if (LOWER.test(name)) return 'lower';
  if (HIGHER.test(name)) return 'higher';
  return undefined;
}

export type ChangeTone = 'better' | 'worse' | 'same' | 'neutral';

/** How a change of a metric reads: better, worse, the same, or neutral (direction unknown). */
export function changeTone(name: string, change: number): ChangeTone {
  if (Math.abs(change) < 1e-12) return 'same';
  const direction = metricDirection(name);
  if (!direction) return 'neutral';
  return change > 0 === (direction === 'higher') ? 'better' : 'worse';
}

/** The metrics a summary shows first, where the evaluation has them. */
export const HEADLINE_METRICS = ['accuracy', 'macro_f1', 'log_loss', 'roc_auc', 'mae', 'rmse', 'r2'] as const;
