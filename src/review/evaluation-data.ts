// The rows of invoke.data as the stages use them: a header line (invoke.header) is kept aside and
// never sent, and with evaluate.labelColumn the label column is taken out of each CSV row (the
// rest is sent to the endpoint) and becomes the ground truth, so that one labelled file serves
// both. invoke, local-test and evaluate all read the file through here.
import { StageError } from '../shared/errors.js';

export interface DataLayout {
  /** The first line names the columns. */
  header: boolean;
  /** The column holding the label: a name from the header, or an index (0 first, -1 last). */
  labelColumn?: string | number;
}

export interface EvaluationData {
  header?: string[];
  /** What is sent to the endpoint, one row per line of the file (the label column removed). */
  rows: string[];
  /** Each row's label, when the file holds them. */
  labels?: string[];
}

/** A CSV line's cells; quoted cells may hold commas and doubled quotes, as RFC 4180 has them. */
export function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index] as string;
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}

/** Cells written back as a CSV row, quoted only where they must be. */
const csvRow = (cells: readonly string[]): string =>
  cells.map((cell) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(',');

export function readEvaluationData(text: string, file: string, layout: DataLayout): EvaluationData {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = layout.header ? csvCells(lines.shift() ?? '') : undefined;
  if (layout.labelColumn === undefined) return { ...(header ? { header } : {}), rows: lines };
  const wanted = layout.labelColumn;
  let column: number;
  if (typeof wanted === 'string') {
    if (!header)
      throw new StageError(
        `evaluate.labelColumn "${wanted}" is a column name: set invoke.header: true so that ${file}'s first line names the columns`,
      );
    column = header.indexOf(wanted);
    if (column < 0)
      throw new StageError(`${file} has no column "${wanted}" (its columns: ${header.join(', ')})`);
  } else column = wanted;
  const labels: string[] = [];
  const rows = lines.map((line, index) => {
    const cells = csvCells(line);
    const at = column < 0 ? cells.length + column : column;
    if (at < 0 || at >= cells.length)
      throw new StageError(
        `${file}:${index + (header ? 2 : 1)}: no column ${wanted} in a row of ${cells.length} cells`,
      );
    labels.push((cells[at] as string).trim());
    return csvRow(cells.filter((_, cell) => cell !== at));
  });
  return { ...(header ? { header } : {}), rows, labels };
}
