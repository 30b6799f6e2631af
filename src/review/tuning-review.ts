// A tuning job's trials as a run shows them: the report's section (the best trial's settings, a
// table of every trial sortable by objective, the objective by trial, each hyperparameter against
// the objective), one line for `runs`, `diff` and the Markdown summary. Read from what train
// recorded (its report's `tuning`), so that no AWS call is needed to review a run.
import type { JsonValue, StageOutputs } from '../engine/stage.js';
import { escapeHtml } from '../shared/escape-html.js';

export interface TrialSummary {
  name: string;
  status: string;
  objective?: number;
  hyperparameters: Record<string, string>;
}

export interface TuningSummary {
  strategy: string;
  objective: { metric: string; type: 'Maximize' | 'Minimize' };
  best: { name: string; hyperparameters: Record<string, string> };
  trials: TrialSummary[];
}

const isRecord = (value: JsonValue | undefined): value is { [key: string]: JsonValue } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The tuning train recorded in its outputs, when it ran a tuning job. */
export function tuningOf(trainOutputs: StageOutputs | undefined): TuningSummary | undefined {
  const report = trainOutputs?.report;
  const tuning = isRecord(report) ? report.tuning : undefined;
  if (
    !isRecord(tuning) ||
    !Array.isArray(tuning.trials) ||
    !isRecord(tuning.best) ||
    !isRecord(tuning.objective)
  )
    return undefined;
  return tuning as unknown as TuningSummary;
}

/** The best trial's objective. */
export function bestObjective(tuning: TuningSummary): number | undefined {
  return tuning.trials.find((trial) => trial.name === tuning.best.name)?.objective;
}

const settings = (hyperparameters: Record<string, string>) =>
  Object.entries(hyperparameters)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');

/** One line: `val_accuracy 0.9185 (Random, 4 trials): learning_rate=0.0057 num_hidden_layers=2`. */
export function tuningLine(tuning: TuningSummary): string {
  const best = bestObjective(tuning);
  return `${tuning.objective.metric} ${best === undefined ? '?' : best.toFixed(4)} (${tuning.strategy}, ${tuning.trials.length} trials): ${settings(tuning.best.hyperparameters)}`;
}

export function tuningMarkdown(tuning: TuningSummary): string {
  const best = bestObjective(tuning);
  const lines = [
    '### Tuning',
    '',
    `${tuning.strategy} search of ${tuning.trials.length} training jobs, ${tuning.objective.type === 'Maximize' ? 'maximising' : 'minimising'} \`${tuning.objective.metric}\`: the best, \`${tuning.best.name}\`${best !== undefined ? ` (${best.toFixed(4)})` : ''}, with ${
      Object.entries(tuning.best.hyperparameters)
        .map(([name, value]) => `\`${name}=${value}\``)
        .join(', ') || 'no tuned value'
    }.`,
  ];
  return lines.join('\n');
}

const fixed = (value: number) => value.toFixed(4);

/** Points on a small chart: x and y in data units, each a trial. */
function pointsChart(
  title: string,
  xLabel: string,
  points: { x: number; y: number; label: string; best: boolean }[],
  xTicks?: string[],
): string {
  const width = 320;
  const height = 200;
  const margin = { left: 56, right: 12, top: 24, bottom: 36 };
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [xLow, xHigh] = [Math.min(...xs), Math.max(...xs)];
  const [yLow, yHigh] = [Math.min(...ys), Math.max(...ys)];
  const x = (value: number) =>
    margin.left + ((value - xLow) / (xHigh - xLow || 1)) * (width - margin.left - margin.right);
  const y = (value: number) =>
    margin.top + (1 - (value - yLow) / (yHigh - yLow || 1)) * (height - margin.top - margin.bottom);
  const dots = points.map(
    (p) =>
      `<circle class="trial${p.best ? ' best' : ''}" cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="${p.best ? 6 : 4}"><title>${escapeHtml(p.label)}</title></circle>`,
  );
  const ticks = xTicks
    ? xTicks.map(
        (tick, index) =>
          `<text x="${x(index).toFixed(1)}" y="${height - 20}" text-anchor="middle">${escapeHtml(tick)}</text>`,
      )
    : [
        `<text x="${margin.left}" y="${height - 20}">${escapeHtml(String(Number(xLow.toPrecision(3))))}</text>`,
        `<text x="${width - margin.right}" y="${height - 20}" text-anchor="end">${escapeHtml(String(Number(xHigh.toPrecision(3))))}</text>`,
      ];
  return `<svg class="chart tuning" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
<text class="axis-title" x="${margin.left}" y="14">${escapeHtml(title)}</text>
<text x="${margin.left - 6}" y="${y(yHigh) + 4}" text-anchor="end">${fixed(yHigh)}</text>
<text x="${margin.left - 6}" y="${y(yLow) + 4}" text-anchor="end">${fixed(yLow)}</text>
${ticks.join('\n')}
<text x="${width - margin.right}" y="${height - 4}" text-anchor="end">${escapeHtml(xLabel)}</text>
${dots.join('\n')}
</svg>`;
}

/** The report's section for a run whose train stage tuned. */
export function tuningHtml(tuning: TuningSummary): string {
  const { metric } = tuning.objective;
  const scored = tuning.trials
    .map((trial, index) => ({ trial, index }))
    .filter(
      (entry): entry is { trial: TrialSummary & { objective: number }; index: number } =>
        typeof entry.trial.objective === 'number',
    );
  const names = [...new Set(tuning.trials.flatMap((trial) => Object.keys(trial.hyperparameters)))];
  const rows = tuning.trials.map(
    (trial, index) =>
      `<tr${trial.name === tuning.best.name ? ' class="best"' : ''}><td data-value="${index + 1}">${index + 1}</td><td><code>${escapeHtml(trial.name)}</code></td><td>${escapeHtml(trial.status)}</td><td data-value="${trial.objective ?? ''}">${trial.objective === undefined ? '—' : fixed(trial.objective)}</td>${names.map((name) => `<td>${escapeHtml(trial.hyperparameters[name] ?? '—')}</td>`).join('')}</tr>`,
  );
  const byTrial = pointsChart(
    `${metric} by trial`,
    'trial',
    scored.map(({ trial, index }) => ({
      x: index + 1,
      y: trial.objective,
      label: `${trial.name}: ${fixed(trial.objective)}`,
      best: trial.name === tuning.best.name,
    })),
  );
  const perHyperparameter = names.map((name) => {
    const values = scored.map(({ trial }) => trial.hyperparameters[name] ?? '');
    const numeric = values.every((value) => value !== '' && Number.isFinite(Number(value)));
    const categories = numeric ? undefined : [...new Set(values)].sort();
    return pointsChart(
      `${metric} by ${name}`,
      name,
      scored.map(({ trial }) => {
        const value = trial.hyperparameters[name] ?? '';
        return {
          x: categories ? categories.indexOf(value) : Number(value),
          y: trial.objective,
          label: `${trial.name}: ${name}=${value}, ${fixed(trial.objective)}`,
          best: trial.name === tuning.best.name,
        };
      }),
      categories,
    );
  });
  // Sorting by a header's column: numbers by their data-value, the rest as text.
  const sortScript = `document.querySelectorAll('table.trials th[data-sort]').forEach(function (header) {
  header.addEventListener('click', function () {
    var table = header.closest('table'); var body = table.tBodies[0];
    var column = Array.prototype.indexOf.call(header.parentNode.children, header);
    var descending = header.getAttribute('aria-sort') !== 'descending';
    var key = function (row) { var cell = row.children[column]; var v = cell.getAttribute('data-value'); return v === null || v === '' ? (descending ? -Infinity : Infinity) : Number(v); };
    Array.prototype.slice.call(body.rows).sort(function (a, b) { return descending ? key(b) - key(a) : key(a) - key(b); }).forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll('th[data-sort]').forEach(function (other) { other.removeAttribute('aria-sort'); });
    header.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
  });
});`;
  return `<section><h2>Tuning: ${escapeHtml(tuning.strategy)}, ${tuning.trials.length} trials, ${tuning.objective.type === 'Maximize' ? 'maximising' : 'minimising'} ${escapeHtml(metric)}</h2>
<p>The best: <code>${escapeHtml(tuning.best.name)}</code>${bestObjective(tuning) !== undefined ? `, ${escapeHtml(metric)} ${fixed(bestObjective(tuning) as number)}` : ''}, with ${Object.entries(
    tuning.best.hyperparameters,
  )
    .map(([name, value]) => `<code>${escapeHtml(name)}=${escapeHtml(value)}</code>`)
    .join(', ')}.</p>
<div class="grid-2">${byTrial}${perHyperparameter.join('')}</div>
<table class="trials"><thead><tr><th data-sort>trial</th><th>training job</th><th>status</th><th data-sort>${escapeHtml(metric)}</th>${names.map((name) => `<th>${escapeHtml(name)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>
<script>${sortScript}</script>
</section>`;
}
