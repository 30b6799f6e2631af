// Classification metrics of predictions against the truth: accuracy, per-class precision, recall
// and F1 with their macro averages, the confusion matrix, log loss when probabilities are known,
// and ROC AUC for two classes. A class never predicted has precision 0 (as scikit-learn's
// zero_division=0), and is named in `warnings`.

export type ClassMetrics = {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true class this is. */
  support: number;
};

export type Metrics = {
  rows: number;
  classes: string[];
  accuracy: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[truth][predicted]: row counts. */
  confusion: number[][];
  /** Mean negative log-likelihood of the true class; when probabilities were returned. */
  logLoss?: number;
  /** For two classes with probabilities, both classes present in the truth. */
  rocAuc?: number;
  warnings: string[];
};

export interface Scored {
  /** The true class index of each row. */
  truth: readonly number[];
  /** The predicted class index of each row. */
  predicted: readonly number[];
  /** Each row's class probabilities, when the model returned them. */
  probabilities?: readonly (readonly number[])[];
  classes: readonly string[];
}

const ratio = (numerator: number, denominator: number): number =>
  denominator === 0 ? 0 : numerator / denominator;
const mean = (values: readonly number[]): number =>
  ratio(
    values.reduce((sum, v) => sum + v, 0),
    values.length,
  );

/** ROC AUC as the probability that a positive row outranks a negative one (ties count half). */
export function rocAuc(truth: readonly number[], scores: readonly number[]): number | undefined {
  const order = scores
    .map((score, index) => ({ score, positive: truth[index] === 1 }))
    .sort((a, b) => a.score - b.score);
  const positives = order.filter((row) => row.positive).length;
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return undefined;
  // Average ranks over ties (Mann-Whitney U).
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]?.score === order[i]?.score) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (order[k]?.positive) rankSum += averageRank;
    i = j;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function computeMetrics(scored: Scored): Metrics {
  const { truth, predicted, classes } = scored;
  const n = classes.length;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  truth.forEach((actual, row) => {
    const guess = predicted[row] as number;
    (confusion[actual] as number[])[guess] = ((confusion[actual] as number[])[guess] ?? 0) + 1;
  });
  const warnings: string[] = [];
  const perClass = classes.map((name, c) => {
    const truePositives = confusion[c]?.[c] ?? 0;
    const predictedAs = confusion.reduce((sum, row) => sum + (row[c] ?? 0), 0);
    const support = (confusion[c] ?? []).reduce((sum, count) => sum + count, 0);
    if (predictedAs === 0) warnings.push(`class ${name} was never predicted: its precision counts as 0`);
    if (support === 0)
      warnings.push(`class ${name} never occurs in the ground truth: its recall counts as 0`);
    const precision = ratio(truePositives, predictedAs);
    const recall = ratio(truePositives, support);
    return { name, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const correct = truth.filter((actual, row) => predicted[row] === actual).length;
  const metrics: Metrics = {
    rows: truth.length,
    classes: [...classes],
    accuracy: ratio(correct, truth.length),
    macroPrecision: mean(perClass.map((c) => c.precision)),
    macroRecall: mean(perClass.map((c) => c.recall)),
    macroF1: mean(perClass.map((c) => c.f1)),
    perClass,
    confusion,
    warnings,
  };
  if (scored.probabilities) {
    const probabilities = scored.probabilities;
    metrics.logLoss = mean(
      truth.map(
        (actual, row) => -Math.log(Math.min(Math.max(probabilities[row]?.[actual] ?? 0, 1e-15), 1 - 1e-15)),
      ),
    );
    if (n === 2) {
      const auc = rocAuc(
        truth,
        probabilities.map((p) => p[1] ?? 0),
      );
      if (auc !== undefined) metrics.rocAuc = auc;
    }
  }
  return metrics;
}

/** The metrics by the names gates use: accuracy, macro_f1, log_loss, f1.CLASS, ... */
export function flatMetrics(metrics: Metrics): Record<string, number> {
  const flat: Record<string, number> = {
    accuracy: metrics.accuracy,
    macro_precision: metrics.macroPrecision,
    macro_recall: metrics.macroRecall,
    macro_f1: metrics.macroF1,
  };
  if (metrics.logLoss !== undefined) flat.log_loss = metrics.logLoss;
  if (metrics.rocAuc !== undefined) flat.roc_auc = metrics.rocAuc;
  for (const c of metrics.perClass) {
    flat[`precision.${c.name}`] = c.precision;
    flat[`recall.${c.name}`] = c.recall;
    flat[`f1.${c.name}`] = c.f1;
  }
  return flat;
}
