// A config problem with where it is: a line and column in a YAML file, or the command-line
// argument that caused it. Printed with the offending line, like a compiler would.

export interface FileLocation {
  kind: 'file';
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** How many characters to underline on that line. */
  length: number;
}

export interface ArgumentLocation {
  kind: 'argument';
  argument: string;
}

export type SourceLocation = FileLocation | ArgumentLocation;

export interface Diagnostic {
  message: string;
  location?: SourceLocation;
}

/** The text of each config file by its display name, to show the offending lines. */
export type SourceTexts = ReadonlyMap<string, string>;

export function formatLocation(location: SourceLocation | undefined): string {
  if (!location) return '';
  if (location.kind === 'argument') return `${location.argument}: `;
  return `${location.file}:${location.line}:${location.col}: `;
}

export function formatDiagnostic(diagnostic: Diagnostic, sources: SourceTexts): string {
  const head = `${formatLocation(diagnostic.location)}${diagnostic.message}`;
  const location = diagnostic.location;
  if (location?.kind !== 'file') return head;
  const text = sources.get(location.file);
  const line = text?.split(/\r?\n/)[location.line - 1];
  if (line === undefined) return head;
  const gutter = String(location.line);
  const pad = ' '.repeat(gutter.length);
  const shown = lineWindow(line, location.col - 1);
  const column = location.col - 1 - shown.start + shown.prefix.length;
  const available = Math.max(1, shown.text.length - column);
  const marker = '^'.repeat(Math.max(1, Math.min(location.length, available, SHOWN_WIDTH)));
  return `${head}\n  ${gutter} | ${shown.text}\n  ${pad} | ${' '.repeat(column)}${marker}`;
}

/** How much of a long line is shown around the problem: a terminal line, not the whole line. */
const SHOWN_WIDTH = 100;

function lineWindow(line: string, index: number): { text: string; start: number; prefix: string } {
  if (line.length <= SHOWN_WIDTH) return { text: line, start: 0, prefix: '' };
  const start = Math.max(0, Math.min(index - 30, line.length - SHOWN_WIDTH));
  const prefix = start > 0 ? '…' : '';
  const suffix = start + SHOWN_WIDTH < line.length ? '…' : '';
  return { text: `${prefix}${line.slice(start, start + SHOWN_WIDTH)}${suffix}`, start, prefix };
}

/** Orders diagnostics as a reader scans a file: by file, then line, then column. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const key = (d: Diagnostic): [string, number, number] =>
    d.location?.kind === 'file'
      ? [d.location.file, d.location.line, d.location.col]
      : [d.location ? `\uffff${d.location.argument}` : '\uffff\uffff', 0, 0];
  const [fa, la, ca] = key(a);
  const [fb, lb, cb] = key(b);
  return fa.localeCompare(fb) || la - lb || ca - cb;
}
