// The rows of invoke.data as the stages use them: a header line (invoke.header) is kept aside and
// never sent, and with evaluate.labelColumn the label column is taken out of each CSV row (the
// rest is sent to the endpoint) and becomes the ground truth, so that one labelled file serves
// both. invoke, local-test and evaluate all read the file through here.
import { StageError } from '../shared/errors.js';
import { isJsonDocument } from '../shared/record-body.js';

export interface DataLayout {
  /** The first line names the columns. */
  header: boolean;
  /**
   * The content type rows are sent as: for a JSON document type, a file holding one JSON array
   * gives its elements as the rows (a label column is then a member of each object, or an index
   * into each array).
   */
  contentType?: string;
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

/** The elements of a JSON array file as rows, a label taken out of each when asked. */
function jsonArrayRows(text: string, file: string, labelColumn: string | number | undefined): EvaluationData {
  let elements: unknown;
  try {
    elements = JSON.parse(text);
  } catch (error) {
    throw new StageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(elements)) throw new StageError(`${file}: a JSON file of rows must hold one array`);
  if (labelColumn === undefined) return { rows: elements.map((element) => JSON.stringify(element)) };
  const labels: string[] = [];
  const rows = elements.map((element: unknown, index) => {
    const where = `${file}, element ${index + 1}`;
    if (Array.isArray(element) && typeof labelColumn === 'number') {
      const at = labelColumn < 0 ? element.length + labelColumn : labelColumn;
      if (at < 0 || at >= element.length) throw new StageError(`${where}: no index ${labelColumn}`);
      labels.push(String(element[at]));
      return JSON.stringify(element.filter((_, cell) => cell !== at));
    }
    if (element !== null && typeof element === 'object' && typeof labelColumn === 'string') {
      const { [labelColumn]: label, ...rest } = element as Record<string, unknown>;
      if (label === undefined) throw new StageError(`${where}: no member "${labelColumn}"`);
      labels.push(String(label));
      return JSON.stringify(rest);
    }
    throw new StageError(
      `${where}: evaluate.labelColumn ${JSON.stringify(labelColumn)} needs ${typeof labelColumn === 'string' ? 'objects' : 'arrays'}`,
    );
  });
  return { rows, labels };
}

export function readEvaluationData(text: string, file: string, layout: DataLayout): EvaluationData {
  if (layout.contentType && isJsonDocument(layout.contentType) && text.trimStart().startsWith('['))
    return jsonArrayRows(text, file, layout.labelColumn);
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
