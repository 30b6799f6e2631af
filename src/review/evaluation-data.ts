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
  /** Each row's line in the file (1 first), for messages that name it. */
  lines: number[];
  /** Each row's label, when the file holds them. */
  labels?: string[];
}

/** A line of a file that holds something, with its number (1 first). */
export interface NumberedLine {
  line: number;
  text: string;
}

/**
 * The lines of a text file that hold something, numbered as an editor numbers them: a UTF-8
 * byte-order mark (as spreadsheets write it) is not part of the first line, and blank lines count
 * though they are left out.
 */
export function numberedLines(text: string): NumberedLine[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line, index) => ({ line: index + 1, text: line }))
    .filter(({ text: line }) => line.trim() !== '');
}

const isNumber = (cell: string): boolean => cell.trim() !== '' && Number.isFinite(Number(cell.trim()));

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
    elements = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new StageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(elements)) throw new StageError(`${file}: a JSON file of rows must hold one array`);
  if (elements.length === 0) throw new StageError(`${file} holds no rows: its array is empty`);
  // Elements are numbered: a JSON array has no useful line for each.
  const lines = elements.map((_, index) => index + 1);
  if (labelColumn === undefined) return { rows: elements.map((element) => JSON.stringify(element)), lines };
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
  return { rows, lines, labels };
}

/**
 * CSV rows must agree on their number of cells (the header's, else the first row's), and a first
 * line of names above rows of numbers is a header sent as a row: each is named by its line.
 */
function checkCsvShape(lines: readonly NumberedLine[], file: string, header: NumberedLine | undefined): void {
  const [first, second] = lines;
  if (!header && first && second) {
    const names = csvCells(first.text);
    const values = csvCells(second.text);
    if (names.every((cell) => !isNumber(cell)) && values.some(isNumber))
      throw new StageError(
        `${file}:${first.line}: "${first.text.slice(0, 80)}" looks like a header (names above rows of numbers), and would be sent as a row: set invoke.header: true`,
      );
  }
  const expected = csvCells((header ?? first)?.text ?? '').length;
  for (const { line, text } of lines) {
    const cells = csvCells(text).length;
    if (cells !== expected)
      throw new StageError(
        `${file}:${line}: ${cells} cells where ${header ? 'the header has' : 'the first row has'} ${expected}: "${text.slice(0, 80)}"`,
      );
  }
}

export function readEvaluationData(text: string, file: string, layout: DataLayout): EvaluationData {
  if (
    layout.contentType &&
    isJsonDocument(layout.contentType) &&
    text
      .trimStart()
      .replace(/^\uFEFF/, '')
      .startsWith('[')
  )
    return jsonArrayRows(text, file, layout.labelColumn);
  const lines = numberedLines(text);
  const headerLine = layout.header ? lines.shift() : undefined;
  if (lines.length === 0)
    throw new StageError(
      `${file} holds no rows${headerLine ? ' below its header' : text.trim() === '' ? ': it is empty' : ''}`,
    );
  const header = headerLine ? csvCells(headerLine.text) : undefined;
  const csv = !layout.contentType || /csv/i.test(layout.contentType);
  if (csv) checkCsvShape(lines, file, headerLine);
  const numbers = lines.map(({ line }) => line);
  if (layout.labelColumn === undefined)
    return { ...(header ? { header } : {}), rows: lines.map(({ text: row }) => row), lines: numbers };
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
  const rows = lines.map(({ line, text: row }) => {
    const cells = csvCells(row);
    const at = column < 0 ? cells.length + column : column;
    if (at < 0 || at >= cells.length)
      throw new StageError(`${file}:${line}: no column ${wanted} in a row of ${cells.length} cells`);
    const label = (cells[at] as string).trim();
    if (label === '') throw new StageError(`${file}:${line}: the label column ${wanted} is empty`);
    labels.push(label);
    return csvRow(cells.filter((_, cell) => cell !== at));
  });
  return { ...(header ? { header } : {}), rows, lines: numbers, labels };
}
