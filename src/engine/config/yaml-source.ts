// Parses YAML into a plain value plus the source position of every key and value in it,
// so that any later problem (schema, interpolation, a missing file) can name its line:col.
import type { Node } from 'yaml';
import type { Diagnostic, FileLocation, SourceLocation } from './diagnostic.js';
import { yamlLibrary } from './yaml-library.js';

/** Where one value sits in the YAML source: its key (for mapping entries) and the value itself. */
export interface NodePosition {
  key?: SourceLocation;
  value: SourceLocation;
}

/** Positions by JSON pointer ("/training/hyperparameters/epochs"). */
export type PositionMap = Map<string, NodePosition>;

export interface ParsedYaml {
  value: unknown;
  positions: PositionMap;
  diagnostics: Diagnostic[];
}

export function pointerOf(path: readonly (string | number)[]): string {
  return path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** The inverse of pointerOf: "/data/a~1b" → ["data", "a/b"]. */
export function pointerParts(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
}

export async function parseYamlWithPositions(text: string, file: string): Promise<ParsedYaml> {
  const { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } = await yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const locate = (offsets: readonly [number, number] | undefined): FileLocation => {
    const [start, end] = offsets ?? [0, 0];
    const { line, col } = lineCounter.linePos(start);
    const endPos = lineCounter.linePos(Math.max(start, end));
    const length = endPos.line === line ? Math.max(1, endPos.col - col) : 1;
    return { kind: 'file', file, line, col, length };
  };

  const diagnostics: Diagnostic[] = [...doc.errors, ...doc.warnings].map((error) => ({
    message: explainParseError(error.message.split('\n')[0] ?? error.message),
    location: locate(error.pos),
  }));
  if (doc.errors.length > 0) return { value: undefined, positions: new Map(), diagnostics };

  const positions: PositionMap = new Map();
  const visit = (node: unknown, path: (string | number)[], key?: FileLocation): void => {
    // An alias is placed where it is written; what it points at is not walked again (an alias
    // bomb would make that exponential: toJS below refuses one).
    const target = node;
    if (!target) return;
    const range = (target as Node).range;
    positions.set(pointerOf(path), {
      ...(key ? { key } : {}),
      value: locate(range ? [range[0], range[1]] : undefined),
    });
    if (isAlias(target)) return;
    if (isMap(target)) {
      for (const pair of target.items) {
        if (!isPair(pair)) continue;
        const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (name === '<<') continue;
        const keyRange = isScalar(pair.key) ? pair.key.range : undefined;
        visit(pair.value, [...path, name], locate(keyRange ? [keyRange[0], keyRange[1]] : undefined));
      }
    } else if (isSeq(target)) {
      target.items.forEach((item, index) => {
        visit(item, [...path, index]);
      });
    }
  };
  visit(doc.contents, []);
  const start = locate(doc.contents?.range ? [doc.contents.range[0], doc.contents.range[1]] : undefined);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return {
      value: undefined,
      positions,
      diagnostics: [
        {
          message: 'the file is empty: it needs at least `name:` and `image:`',
          location: { ...start, line: 1, col: 1 },
        },
      ],
    };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }), positions, diagnostics };
  } catch (error) {
    // yaml refuses documents whose aliases expand too far ("billion laughs").
    return {
      value: undefined,
      positions,
      diagnostics: [{ message: explainParseError((error as Error).message), location: start }],
    };
  }
}

/** The parser's own words, except where they name its insides instead of the file's problem. */
function explainParseError(message: string): string {
  if (/Maximum call stack size exceeded/.test(message)) {
    return 'values are nested too deeply to read (hundreds of levels of lists or maps): pipeline.yaml needs a few';
  }
  return message;
}
