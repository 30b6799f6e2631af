// Checks pipeline's own files against schemas/state-files.schema.json (compiled ahead of time):
// a state file or run record of another shape is named with its first wrong place, instead of
// being misread as "never ran".
import { validateRunRecord, validateState } from '../config/generated/validate-state-files.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

type Validator = ((value: unknown) => boolean) & { errors?: AjvError[] | null };

function firstProblem(validator: Validator, value: unknown): string | undefined {
  if (validator(value)) return undefined;
  const error = validator.errors?.[0];
  if (!error) return 'it does not have the expected shape';
  const where = error.instancePath === '' ? 'at the top level' : `at ${error.instancePath}`;
  const extra =
    error.keyword === 'additionalProperties'
      ? ` (unexpected "${String(error.params.additionalProperty)}")`
      : '';
  return `${where}: ${error.message ?? error.keyword}${extra}`;
}

/** Why a parsed state.json is not a pipeline state, or undefined when it is one. */
export const stateProblem = (value: unknown): string | undefined =>
  firstProblem(validateState as unknown as Validator, value);

/** Why a parsed run record is not one, or undefined when it is. */
export const runRecordProblem = (value: unknown): string | undefined =>
  firstProblem(validateRunRecord as unknown as Validator, value);
