// A batch transform job's DataProcessing, as SageMaker documents it
// (https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html): each
// record seen as JSON (a CSV line as an array of its fields), InputFilter selecting what the model
// is sent, JoinSource Input joining the record with its answer (a CSV answer appended to the
// record's fields; a JSON one as the record's SageMakerOutput), OutputFilter selecting what is kept.
// The JSONPath SageMaker supports: `$`, `.name`, `['a','b']`, `[n]`, `[a,b]`, `[a:b]` (negative
// indexes and open ends allowed, mixed as in `[0,5:]`), `*`.

/** A filter that is not SageMaker's JSONPath: the local SageMaker answers it as a ValidationException. */
export class JsonPathError extends Error {}

type Step =
  | { kind: 'names'; names: string[]; single: boolean }
  | { kind: 'picks'; picks: ({ index: number } | { from?: number; to?: number })[]; single: boolean }
  | { kind: 'all' };

export type JsonPath = Step[];

/** Parses one of SageMaker's JSONPath filters; a JsonPathError for anything else. */
export function parseJsonPath(expression: string, member: string): JsonPath {
  const refuse = (why: string) =>
    new JsonPathError(`${member} ${JSON.stringify(expression)} is not a JSONPath SageMaker supports: ${why}`);
  if (!expression.startsWith('$')) throw refuse('it must start with $');
  const picksOf = (list: string): Step => {
    const parts = list.split(',').map((part) => part.trim());
    const picks = parts.map((part) => {
      const slice = /^(-?\d+)?:(-?\d+)?$/.exec(part);
      if (slice)
        return {
          ...(slice[1] !== undefined ? { from: Number(slice[1]) } : {}),
          ...(slice[2] !== undefined ? { to: Number(slice[2]) } : {}),
        };
      if (!/^-?\d+$/.test(part)) throw refuse(`"${part}" is not an index or a slice`);
      return { index: Number(part) };
    });
    return { kind: 'picks', picks, single: picks.length === 1 && 'index' in (picks[0] as object) };
  };
  // Each step of a path: what it looks like, and what it selects.
  const grammar: [RegExp, (match: RegExpExecArray) => Step][] = [
    [/^\.\*|^\[\*\]/, () => ({ kind: 'all' })],
    [
      /^\.([A-Za-z_][A-Za-z0-9_]*)/,
      (match) => ({ kind: 'names', names: [match[1] as string], single: true }),
    ],
    [
      /^\[((?:\s*'[^']*'\s*,)*\s*'[^']*'\s*)\]/,
      (match) => {
        const names = [...(match[1] as string).matchAll(/'([^']*)'/g)].map((m) => m[1] as string);
        return { kind: 'names', names, single: names.length === 1 };
      },
    ],
    [/^\[([-0-9:,\s]+)\]/, (match) => picksOf(match[1] as string)],
  ];
  const steps: JsonPath = [];
  let rest = expression.slice(1);
  while (rest.length > 0) {
    const found = grammar
      .map(([pattern, step]) => [pattern.exec(rest), step] as const)
      .find(([match]) => match !== null);
    if (!found) throw refuse(`cannot read "${rest}"`);
    const [match, step] = found as [RegExpExecArray, (match: RegExpExecArray) => Step];
    steps.push(step(match));
    rest = rest.slice(match[0].length);
  }
  return steps;
}

const at = (length: number, index: number) => (index < 0 ? length + index : index);

/** The path applied to a record; undefined where it selects nothing. */
export function applyJsonPath(value: unknown, path: JsonPath): unknown {
  let current = value;
  for (const step of path) {
    if (current === undefined) return undefined;
    if (step.kind === 'all') {
      current = Array.isArray(current)
        ? current
        : typeof current === 'object' && current !== null
          ? Object.values(current)
          : undefined;
    } else if (step.kind === 'names') {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
      const object = current as Record<string, unknown>;
      current = step.single
        ? object[step.names[0] as string]
        : Object.fromEntries(step.names.filter((name) => name in object).map((name) => [name, object[name]]));
    } else {
      if (!Array.isArray(current)) return undefined;
      const array = current;
      const picked = step.picks.flatMap((pick) =>
        'index' in pick
          ? at(array.length, pick.index) in array
            ? [array[at(array.length, pick.index)]]
            : []
          : array.slice(
              pick.from === undefined ? 0 : at(array.length, pick.from),
              pick.to === undefined ? array.length : at(array.length, pick.to),
            ),
      );
      current = step.single ? picked[0] : picked;
    }
  }
  return current;
}

export type RecordFormat = 'csv' | 'json';

/** CSV or JSON (JSON Lines), from a MIME type; undefined for another. */
export function formatOf(mimeType: string | undefined): RecordFormat | undefined {
  const type = mimeType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/json' || type === 'application/jsonlines' || type === 'application/x-jsonlines')
    return 'json';
  return undefined;
}

/** A record as JSON: a CSV line as the array of its fields (kept as text), a JSON line parsed. */
export function recordValue(line: string, format: RecordFormat): unknown {
  if (format === 'csv') return line.split(',');
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`ClientError: a record is not JSON: ${line.slice(0, 200)}`);
  }
}

/** A value written back as a record of the format. */
export function recordText(value: unknown, format: RecordFormat): string {
  if (format === 'json') return JSON.stringify(value ?? null);
  return Array.isArray(value)
    ? value.map((field) => (typeof field === 'string' ? field : JSON.stringify(field))).join(',')
    : String(value ?? '');
}

/** A record as an InputFilter leaves it: read as JSON, the path applied, written back in its format. */
export function filterRecord(line: string, path: JsonPath, format: RecordFormat): string {
  return recordText(applyJsonPath(recordValue(line, format), path), format);
}

/** A record joined with its answer, as SageMaker joins them (JoinSource Input). */
export function joinRecord(input: unknown, output: unknown, format: RecordFormat): unknown {
  if (format === 'csv')
    return [...(Array.isArray(input) ? input : [input]), ...(Array.isArray(output) ? output : [output])];
  if (typeof input === 'object' && input !== null && !Array.isArray(input))
    return { ...(input as Record<string, unknown>), SageMakerOutput: output };
  return [...(Array.isArray(input) ? input : [input]), output];
}
