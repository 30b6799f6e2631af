// Regression metrics of predicted values against true ones: mean absolute error, root mean
// squared error, R² (1 − residual / total sum of squares, as scikit-learn's r2_score) and the
// mean error (bias: positive when the model predicts too high).

export type RegressionMetrics = {
  kind: 'regression';
  rows: number;
  mae: number;
  rmse: number;
  r2: number;
  meanError: number;
  /** Each row's true and predicted value, for the report's scatter plot. */
  pairs: [number, number][];
  warnings: string[];
};

export function computeRegressionMetrics(
  truth: readonly number[],
  predicted: readonly number[],
): RegressionMetrics {
  const rows = truth.length;
  const errors = predicted.map((value, index) => value - (truth[index] as number));
  const mean = (values: readonly number[]): number =>
    values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
  const truthMean = mean(truth);
  const residual = errors.reduce((sum, error) => sum + error * error, 0);
  const total = truth.reduce((sum, value) => sum + (value - truthMean) ** 2, 0);
  const warnings: string[] = [];
  // scikit-learn answers 1 for a perfect fit of a constant truth and 0 otherwise; so does this.
  let r2: number;
  if (total === 0) {
    r2 = residual === 0 ? 1 : 0;
    warnings.push('every true value is the same: R² says little (1 for a perfect fit, else 0)');
  } else r2 = 1 - residual / total;
  return {
    kind: 'regression',
    rows,
    mae: mean(errors.map(Math.abs)),
    rmse: Math.sqrt(rows === 0 ? 0 : residual / rows),
    r2,
    meanError: mean(errors),
    pairs: truth.map((value, index) => [value, predicted[index] as number]),
    warnings,
  };
}

/** The metrics by the names gates and `pipeline runs` use: mae, rmse, r2, mean_error. */
export const flatRegressionMetrics = (metrics: RegressionMetrics): Record<string, number> => ({
  mae: metrics.mae,
  rmse: metrics.rmse,
  r2: metrics.r2,
  mean_error: metrics.meanError,
});
