// Typed contracts between stages. A stage's outputs are plain JSON in the state; the stage that
// makes them exports their type and a reader, and every consumer reads them through it, so a
// renamed or missing field is a clear error at the boundary ("push's recorded outputs have no
// imageUri"), never the string "undefined" passed on to AWS.
import { StageError } from '../shared/errors.js';
import type { JsonValue, StageOutputs } from './stage.js';

type Kind = 'string' | 'number' | 'boolean' | 'object';
type TypeOf<K extends Kind> = K extends 'string'
  ? string
  : K extends 'number'
    ? number
    : K extends 'boolean'
      ? boolean
      : { [key: string]: JsonValue };

/** Field name → its kind; `?` after the kind makes it optional. */
export type Shape = Record<string, Kind | `${Kind}?`>;

type RequiredFields<S extends Shape> = {
  [K in keyof S as S[K] extends Kind ? K : never]: TypeOf<Extract<S[K], Kind>>;
};
type OptionalFields<S extends Shape> = {
  [K in keyof S as S[K] extends `${Kind}?` ? K : never]?: S[K] extends `${infer Base extends Kind}?`
    ? TypeOf<Base>
    : never;
};
/** The outputs a shape describes. */
export type OutputsOf<S extends Shape> = RequiredFields<S> & OptionalFields<S>;

const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value;

/** Checks each field of the shape, naming the stage, the field and the way out when one is wrong. */
function assertShape<S extends Shape>(
  stage: string,
  shape: S,
  outputs: StageOutputs,
): asserts outputs is StageOutputs & OutputsOf<S> {
  for (const [field, declared] of Object.entries(shape)) {
    const optional = declared.endsWith('?');
    const kind = declared.replace('?', '') as Kind;
    const value = outputs[field];
    if (value === undefined && optional) continue;
    const actual = kindOf(value);
    if (actual !== kind) {
      throw new StageError(
        `${stage}'s recorded outputs have ${value === undefined ? `no ${field}` : `${field} as a ${actual}`}, not a ${kind}: ` +
          `run \`pipeline run --from ${stage}\` to record them anew`,
      );
    }
  }
}

/** A reader of one stage's outputs, for the stages that consume them. */
export function outputReader<S extends Shape>(
  stage: string,
  shape: S,
): (outputs: StageOutputs | undefined) => StageOutputs & OutputsOf<S> {
  return (outputs) => {
    if (!outputs) {
      throw new StageError(`${stage} has no recorded outputs: run \`pipeline run --from ${stage}\``);
    }
    assertShape(stage, shape, outputs);
    return outputs;
  };
}
