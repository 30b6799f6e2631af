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
  const available = Math.max(1, line.length - (location.col - 1));
  const marker = '^'.repeat(Math.max(1, Math.min(location.length, available)));
  return `${head}\n  ${gutter} | ${line}\n  ${pad} | ${' '.repeat(location.col - 1)}${marker}`;
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
