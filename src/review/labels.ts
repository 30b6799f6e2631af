// Reads the ground truth (one-hot rows, a class index, or class names) and the endpoint's
// predictions (class probabilities, or a class per row, as CSV, JSON arrays or a member of JSON
// objects) into class indexes, with a clear error
// for a row that cannot be read and for counts or classes that do not match.
import { StageError } from '../shared/errors.js';
import { numberedLines } from './evaluation-data.js';

export type LabelFormat = 'one-hot' | 'index' | 'name';

export interface Truth {
  labels: number[];
  /** Classes the file itself shows (one-hot width, highest index + 1), if it says. */
  classCount?: number;
}

export interface Predictions {
  labels: number[];
  probabilities?: number[][];
  classCount?: number;
}

/**
 * More classes than any classifier here scores: a confusion matrix of N classes holds N² cells, and
 * a label of 999,999 asked for a trillion. Larger labels are values (evaluate.task: regression).
 */
export const MAX_CLASSES = 1000;

/** The rows of a file with their line numbers (a byte-order mark and blank lines left out). */
const lines = (text: string): string[] => numberedLines(text).map(({ text: line }) => line);
const lineNumbers = (text: string): number[] => numberedLines(text).map(({ line }) => line);

function checkClass(value: number, where: string): void {
  if (value >= MAX_CLASSES)
    throw new StageError(
      `${where}: class ${value}: at most ${MAX_CLASSES} classes are scored (0 to ${MAX_CLASSES - 1}); if these are values, not classes, set evaluate.task: regression`,
    );
}

function numbersOf(line: string, where: string): number[] {
  const trimmed = line.trim();
  const cells = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]).map(String) : trimmed.split(',');
  return cells.map((cell, column) => {
    const value = Number(cell.trim());
    if (cell.trim() === '' || !Number.isFinite(value)) {
      throw new StageError(`${where}, column ${column + 1}: "${cell.trim()}" is not a number`);
    }
    return value;
  });
}

const argmax = (values: readonly number[]): number =>
  values.reduce((best, value, index) => (value > (values[best] ?? -Infinity) ? index : best), 0);

export function readTruth(
  text: string,
  file: string,
  format: LabelFormat,
  classNames?: readonly string[],
): Truth {
  const rows = lines(text);
  const at = lineNumbers(text);
  const where = (index: number): string => `${file}:${at[index] ?? index + 1}`;
  if (format === 'name') {
    if (!classNames) throw new StageError('evaluate.labelFormat "name" needs evaluate.classNames');
    return {
      labels: rows.map((row, index) => {
        const name = row.trim().replace(/^"|"$/g, '');
        const label = classNames.indexOf(name);
        if (label < 0) {
          throw new StageError(
            `${where(index)}: "${name}" is not one of evaluate.classNames (${classNames.join(', ')})`,
          );
        }
        return label;
      }),
      classCount: classNames.length,
    };
  }
  if (format === 'index') {
    const labels = rows.map((row, index) => {
      const [value] = numbersOf(row, where(index));
      if (value === undefined || !Number.isInteger(value) || value < 0) {
        throw new StageError(`${where(index)}: "${row.trim()}" is not a class index (0, 1, 2, ...)`);
      }
      checkClass(value, where(index));
      return value;
    });
    return { labels };
  }
  let width: number | undefined;
  const labels = rows.map((row, index) => {
    const values = numbersOf(row, where(index));
    width ??= values.length;
    if (values.length !== width) {
      throw new StageError(`${where(index)}: ${values.length} columns where the first row has ${width}`);
    }
    const ones = values.filter((v) => v === 1).length;
    if (ones !== 1 || values.some((v) => v !== 0 && v !== 1)) {
      throw new StageError(`${where(index)}: "${row.trim()}" is not a one-hot row (one 1, the rest 0)`);
    }
    checkClass(values.length - 1, where(index));
    return values.indexOf(1);
  });
  return { labels, ...(width !== undefined ? { classCount: width } : {}) };
}

/**
 * Rows that are JSON objects, reduced to the member `field` names (dotted for nested members):
 * a class index or name becomes that row's text, a list of probabilities a CSV row. Without a
 * field, such rows are an error that names the members they have.
 */
function fieldOfObjectRows(
  rows: string[],
  file: string,
  field: string | undefined,
  at: readonly number[] = [],
): string[] {
  if (!rows.some((row) => row.trim().startsWith('{'))) return rows;
  return rows.map((row, index) => {
    const where = `${file}:${at[index] ?? index + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(row);
    } catch {
      throw new StageError(`${where}: "${row.trim().slice(0, 80)}" is not a JSON object`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new StageError(
        `${where}: expected a JSON object like the other rows, found ${row.trim().slice(0, 80)}`,
      );
    if (field === undefined)
      throw new StageError(
        `${where}: the predictions are JSON objects (members: ${Object.keys(parsed).join(', ')}): set evaluate.predictionField to the member that holds the prediction`,
      );
    const value = field
      .split('.')
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], parsed);
    if (typeof value === 'number' || typeof value === 'string') return String(value);
    if (Array.isArray(value) && value.every((item) => typeof item === 'number')) return value.join(',');
    throw new StageError(
      `${where}: evaluate.predictionField "${field}" is ${value === undefined ? 'not in this row' : `${JSON.stringify(value).slice(0, 80)}`}; it must hold a class index, a class name or a list of probabilities`,
    );
  });
}

export function readPredictions(
  text: string,
  file: string,
  classNames?: readonly string[],
  predictionField?: string,
): Predictions {
  const at = lineNumbers(text);
  const where = (index: number): string => `${file}:${at[index] ?? index + 1}`;
  const rows = fieldOfObjectRows(lines(text), file, predictionField, at);
  const single = rows.every((row) => !row.includes(',') && !row.trim().startsWith('['));
  if (single) {
    // One value per row: a class index, or a class name.
    const labels = rows.map((row, index) => {
      const cell = row.trim().replace(/^"|"$/g, '');
      const byName = classNames?.indexOf(cell) ?? -1;
      if (byName >= 0) return byName;
      const value = Number(cell);
      if (!Number.isInteger(value) || value < 0) {
        throw new StageError(`${where(index)}: "${cell}" is neither a class index nor a class name`);
      }
      checkClass(value, where(index));
      return value;
    });
    return { labels };
  }
  let width: number | undefined;
  const probabilities = rows.map((row, index) => {
    const values = numbersOf(row, where(index));
    width ??= values.length;
    if (values.length !== width) {
      throw new StageError(
        `${where(index)}: ${values.length} probabilities where the first row has ${width}`,
      );
    }
    checkClass(values.length - 1, where(index));
    const sum = values.reduce((total, v) => total + v, 0);
    // Scores that are not a distribution are normalised for the log loss; the class is the argmax.
    return sum > 0 && Math.abs(sum - 1) > 1e-3 ? values.map((v) => v / sum) : values;
  });
  return {
    labels: probabilities.map(argmax),
    probabilities,
    ...(width !== undefined ? { classCount: width } : {}),
  };
}

/**
 * One number per row, for regression: the ground truth, or the predictions (a CSV or JSON-array
 * row's first value, a plain number, or a member of JSON-object rows through `predictionField`).
 */
export function readValues(text: string, file: string, predictionField?: string): number[] {
  const at = lineNumbers(text);
  return fieldOfObjectRows(lines(text), file, predictionField, at).map((row, index) => {
    const where = `${file}:${at[index] ?? index + 1}`;
    const [value] = numbersOf(row, where);
    if (value === undefined) throw new StageError(`${where}: no value`);
    return value;
  });
}
