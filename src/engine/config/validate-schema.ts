// Checks a config against schemas/pipeline.schema.json (compiled ahead of time by
// scripts/compile-schema.mjs), fills in the schema's defaults, and turns each ajv error into a
// diagnostic at the offending key or value, with the closest valid name for a typo.
import { closest, distance } from 'fastest-levenshtein';
import schema from '../../../schemas/pipeline.schema.json' with { type: 'json' };
import type { Diagnostic, SourceLocation } from './diagnostic.js';
import { validate } from './generated/validate-pipeline.js';
import { type PositionMap, pointerParts } from './yaml-source.js';

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface SchemaCheck {
  /** The config with the schema's defaults filled in. */
  value: unknown;
  diagnostics: Diagnostic[];
}

export function validateAgainstSchema(config: unknown, positions: PositionMap): SchemaCheck {
  const value = structuredClone(config);
  const valid = validate(value) as boolean;
  if (valid) return { value, diagnostics: [] };
  const errors = (validate as unknown as { errors: AjvError[] }).errors;
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const error of errors) {
    const diagnostic = describe(error, value, positions);
    const key = `${diagnostic.message}@${JSON.stringify(diagnostic.location)}`;
    if (!seen.has(key)) {
      seen.add(key);
      diagnostics.push(diagnostic);
    }
  }
  return { value, diagnostics };
}

/** "/training/hyperparameters" → "training.hyperparameters"; the root is "the config". */
function displayPath(pointer: string): string {
  if (pointer === '') return 'the config';
  return pointerParts(pointer).join('.');
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const part of pointerParts(pointer)) node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
}

type SchemaNode = Record<string, unknown>;

function resolveRef(node: SchemaNode | undefined): SchemaNode | undefined {
  const ref = node?.$ref;
  if (typeof ref !== 'string') return node;
  let target: unknown = schema;
  for (const part of ref.replace(/^#\//, '').split('/')) target = (target as SchemaNode | undefined)?.[part];
  return { ...(target as SchemaNode), ...node, $ref: undefined };
}

/** The schema that describes the value at an instance pointer ("/training/spot"). */
function schemaAt(pointer: string): SchemaNode | undefined {
  let node = resolveRef(schema as SchemaNode);
  for (const key of pointerParts(pointer)) {
    const properties = node?.properties as Record<string, SchemaNode> | undefined;
    const next = properties?.[key] ?? (node?.items as SchemaNode | undefined) ?? node?.additionalProperties;
    node = typeof next === 'object' ? resolveRef(next as SchemaNode) : undefined;
  }
  return node;
}

function suggestion(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(word, candidates as string[]);
  const limit = Math.max(2, Math.floor(word.length / 3));
  return distance(word, best) <= limit
    ? `; did you mean "${best}"?`
    : `; valid keys: ${candidates.join(', ')}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describe(error: AjvError, config: unknown, positions: PositionMap): Diagnostic {
  const at = (pointer: string, part: 'key' | 'value' = 'value'): SourceLocation | undefined => {
    const position = positions.get(pointer);
    if (position) return (part === 'key' ? position.key : undefined) ?? position.value;
    // A value only the defaults created has no position: point at its nearest written parent.
    const parent = pointer.slice(0, pointer.lastIndexOf('/'));
    return pointer === '' ? undefined : at(parent, 'key');
  };
  const where = displayPath(error.instancePath);
  const found = valueAt(config, error.instancePath);
  const fieldSchema = schemaAt(error.instancePath);
  const about = typeof fieldSchema?.description === 'string' ? ` (${fieldSchema.description})` : '';

  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(error.params.additionalProperty);
      const properties = Object.keys((schemaAt(error.instancePath)?.properties as object | undefined) ?? {});
      return {
        message: `unknown key "${name}" in ${where}${suggestion(name, properties)}`,
        location: at(`${error.instancePath}/${name}`, 'key'),
      };
    }
    case 'required': {
      const name = String(error.params.missingProperty);
      return {
        message: `${where} is missing the required key "${name}"`,
        location: at(error.instancePath, 'key'),
      };
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const hint =
        typeof found === 'string' ? suggestion(found, allowed).replace('valid keys', 'one of') : '';
      return {
        message: `${where} must be one of ${allowed.map((v) => `"${v}"`).join(', ')}, not ${show(found)}${hint.startsWith('; did') ? hint : ''}`,
        location: at(error.instancePath),
      };
    }
    case 'type': {
      // YAML reads 20.10 as the number 20.1 and yes as true: text must be quoted to stay text.
      const quote =
        error.params.type === 'string' && (typeof found === 'number' || typeof found === 'boolean')
          ? ' (put the value in quotes to keep it as written)'
          : '';
      return {
        message: `${where} must be ${String(error.params.type).split(',').join(' or ')}, not ${show(found)}${quote}`,
        location: at(error.instancePath),
      };
    }
    case 'pattern':
      return {
        message: `${where} ${show(found)} is not valid: it must match ${String(error.params.pattern)}${about}`,
        location: at(error.instancePath),
      };
    case 'propertyNames':
      return {
        message: `${where} has an invalid key name ${show(error.params.propertyName)}`,
        location: at(`${error.instancePath}/${String(error.params.propertyName)}`, 'key'),
      };
    default:
      return { message: `${where} ${error.message ?? 'is not valid'}`, location: at(error.instancePath) };
  }
}
