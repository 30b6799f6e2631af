// Reads the ground truth (one-hot rows, a class index, or class names) and the endpoint's
// predictions (class probabilities, or a class per row) into class indexes, with a clear error
// for a row that cannot be read and for counts or classes that do not match.
import { StageError } from '../shared/errors.js';

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

const lines = (text: string): string[] => text.split(/\r?\n/).filter((line) => line.trim() !== '');

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
  if (format === 'name') {
    if (!classNames) throw new StageError('evaluate.labelFormat "name" needs evaluate.classNames');
    return {
      labels: rows.map((row, index) => {
        const name = row.trim().replace(/^"|"$/g, '');
        const label = classNames.indexOf(name);
        if (label < 0) {
          throw new StageError(
            `${file}:${index + 1}: "${name}" is not one of evaluate.classNames (${classNames.join(', ')})`,
          );
        }
        return label;
      }),
      classCount: classNames.length,
    };
  }
  if (format === 'index') {
    const labels = rows.map((row, index) => {
      const [value] = numbersOf(row, `${file}:${index + 1}`);
      if (value === undefined || !Number.isInteger(value) || value < 0) {
        throw new StageError(`${file}:${index + 1}: "${row.trim()}" is not a class index (0, 1, 2, ...)`);
      }
      return value;
    });
    return { labels };
  }
  let width: number | undefined;
  const labels = rows.map((row, index) => {
    const where = `${file}:${index + 1}`;
    const values = numbersOf(row, where);
    width ??= values.length;
    if (values.length !== width) {
      throw new StageError(`${where}: ${values.length} columns where the first row has ${width}`);
    }
    const ones = values.filter((v) => v === 1).length;
    if (ones !== 1 || values.some((v) => v !== 0 && v !== 1)) {
      throw new StageError(`${where}: "${row.trim()}" is not a one-hot row (one 1, the rest 0)`);
    }
    return values.indexOf(1);
  });
  return { labels, ...(width !== undefined ? { classCount: width } : {}) };
}

export function readPredictions(text: string, file: string, classNames?: readonly string[]): Predictions {
  const rows = lines(text);
  const single = rows.every((row) => !row.includes(',') && !row.trim().startsWith('['));
  if (single) {
    // One value per row: a class index, or a class name.
    const labels = rows.map((row, index) => {
      const cell = row.trim().replace(/^"|"$/g, '');
      const byName = classNames?.indexOf(cell) ?? -1;
      if (byName >= 0) return byName;
      const value = Number(cell);
      if (!Number.isInteger(value) || value < 0) {
        throw new StageError(`${file}:${index + 1}: "${cell}" is neither a class index nor a class name`);
      }
      return value;
    });
    return { labels };
  }
  let width: number | undefined;
  const probabilities = rows.map((row, index) => {
    const values = numbersOf(row, `${file}:${index + 1}`);
    width ??= values.length;
    if (values.length !== width) {
      throw new StageError(
        `${file}:${index + 1}: ${values.length} probabilities where the first row has ${width}`,
      );
    }
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
