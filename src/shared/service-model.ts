// AWS's own API models (service-models/, from botocore) and the checks they define: a request
// against its operation's input shape (required members, types, enums, patterns, lengths,
// ranges), with the words AWS's services use, and an answer against the output shape. The local
// services check every request with it; `pipeline validate` checks the values the stages will
// send; the response-shape tests check the local services' answers.

export interface ShapeRef {
  shape: string;
}

export interface Shape {
  type:
    | 'structure'
    | 'list'
    | 'map'
    | 'string'
    | 'integer'
    | 'long'
    | 'float'
    | 'double'
    | 'boolean'
    | 'timestamp'
    | 'blob';
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  exception?: boolean;
}

export interface OperationModel {
  name: string;
  input?: ShapeRef;
  output?: ShapeRef;
  errors?: ShapeRef[];
}

export interface ServiceModel {
  metadata: { targetPrefix?: string; serviceId: string; apiVersion: string };
  operations: Record<string, OperationModel>;
  shapes: Record<string, Shape>;
}

export type ServiceName = 'sagemaker' | 'sagemaker-runtime' | 'logs' | 'ecr';

/** The models are large (SageMaker's is 650 KB): each is read the first time a server needs it. */
const loaders: Record<ServiceName, () => Promise<{ default: unknown }>> = {
  sagemaker: () => import('../../service-models/sagemaker-2017-07-24.json', { with: { type: 'json' } }),
  'sagemaker-runtime': () =>
    import('../../service-models/sagemaker-runtime-2017-05-13.json', { with: { type: 'json' } }),
  logs: () => import('../../service-models/logs-2014-03-28.json', { with: { type: 'json' } }),
  ecr: () => import('../../service-models/ecr-2015-09-21.json', { with: { type: 'json' } }),
};

export async function loadServiceModel(name: ServiceName): Promise<ServiceModel> {
  return (await loaders[name]()).default as ServiceModel;
}

/** How AWS names a member in a path: `ProductionVariants` → `productionVariants`. */
const pathName = (member: string): string => member.charAt(0).toLowerCase() + member.slice(1);

const compiledPatterns = new Map<string, RegExp | null>();
/**
 * A model's pattern as the service applies it: to the whole value (Java's `matches`). Patterns
 * are Java regular expressions; the few JavaScript cannot read are not checked (null).
 */
function wholeValuePattern(pattern: string): RegExp | null {
  let compiled = compiledPatterns.get(pattern);
  if (compiled === undefined) {
    compiled = null;
    for (const flags of ['u', '']) {
      try {
        compiled = new RegExp(`^(?:${pattern})$`, flags);
        break;
      } catch {
        // Not valid in this mode: try the next.
      }
    }
    compiledPatterns.set(pattern, compiled);
  }
  return compiled;
}

/** The constraints a scalar value breaks, in AWS's words ("Member must ..."). */
export function scalarConstraints(shape: Shape, value: unknown): string[] {
  const broken: string[] = [];
  if (shape.type === 'string' && typeof value === 'string') {
    const length = [...value].length;
    if (shape.max !== undefined && length > shape.max)
      broken.push(`Member must have length less than or equal to ${shape.max}`);
    if (shape.min !== undefined && length < shape.min)
      broken.push(`Member must have length greater than or equal to ${shape.min}`);
    const pattern = shape.pattern === undefined ? null : wholeValuePattern(shape.pattern);
    if (pattern && !pattern.test(value))
      broken.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
    if (shape.enum && !shape.enum.includes(value))
      broken.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
  }
  if (['integer', 'long', 'float', 'double'].includes(shape.type) && typeof value === 'number') {
    if (shape.max !== undefined && value > shape.max)
      broken.push(`Member must have value less than or equal to ${shape.max}`);
    if (shape.min !== undefined && value < shape.min)
      broken.push(`Member must have value greater than or equal to ${shape.min}`);
  }
  return broken;
}

const JSON_TYPES: Record<Shape['type'], (value: unknown) => boolean> = {
  structure: (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  map: (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  list: Array.isArray,
  string: (value) => typeof value === 'string',
  blob: (value) => typeof value === 'string',
  boolean: (value) => typeof value === 'boolean',
  integer: (value) => Number.isInteger(value),
  long: (value) => Number.isInteger(value),
  float: (value) => typeof value === 'number',
  double: (value) => typeof value === 'number',
  timestamp: (value) =>
    typeof value === 'number' || (typeof value === 'string' && !Number.isNaN(Date.parse(value))),
};

const shown = (value: unknown): string =>
  value === null || value === undefined
    ? 'null'
    : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;

class RequestChecker {
  readonly violations: string[] = [];
  /** A value of the wrong JSON type: the service cannot read it at all (SerializationException). */
  unreadable: string | undefined;

  constructor(private readonly model: ServiceModel) {}

  check(ref: ShapeRef, value: unknown, path: string): void {
    const shape = this.model.shapes[ref.shape];
    if (!shape || value === undefined || value === null) return;
    if (!JSON_TYPES[shape.type](value)) {
      this.unreadable ??= `Value ${shown(value)} at '${path}' cannot be read as ${shape.type === 'structure' ? 'a structure' : `a ${shape.type}`}`;
      return;
    }
    if (shape.type === 'structure') this.structure(shape, value as Record<string, unknown>, path);
    else if (shape.type === 'list') this.list(shape, value as unknown[], path);
    else if (shape.type === 'map') this.map(shape, value as Record<string, unknown>, path);
    else
      for (const broken of scalarConstraints(shape, value))
        this.violations.push(`Value ${shown(value)} at '${path}' failed to satisfy constraint: ${broken}`);
  }

  private structure(shape: Shape, value: Record<string, unknown>, path: string): void {
    const prefix = path ? `${path}.` : '';
    for (const name of shape.required ?? []) {
      if (value[name] === undefined || value[name] === null)
        this.violations.push(
          `Value null at '${prefix}${pathName(name)}' failed to satisfy constraint: Member must not be null`,
        );
    }
    for (const [name, member] of Object.entries(shape.members ?? {}))
      this.check(member, value[name], `${prefix}${pathName(name)}`);
  }

  private list(shape: Shape, value: unknown[], path: string): void {
    this.lengthOf(shape, value.length, value, path);
    value.forEach((item, index) => {
      if (shape.member) this.check(shape.member, item, `${path}.${index + 1}.member`);
    });
  }

  private map(shape: Shape, value: Record<string, unknown>, path: string): void {
    const entries = Object.entries(value);
    this.lengthOf(shape, entries.length, value, path);
    const keyShape = shape.key && this.model.shapes[shape.key.shape];
    const valueShape = shape.value && this.model.shapes[shape.value.shape];
    for (const [key, item] of entries) {
      const badKey = keyShape ? scalarConstraints(keyShape, key) : [];
      if (badKey.length > 0)
        this.violations.push(
          `Value ${shown(value)} at '${path}' failed to satisfy constraint: Map keys must satisfy constraint: [${badKey.join(', ')}]`,
        );
      if (
        valueShape &&
        valueShape.type !== 'structure' &&
        valueShape.type !== 'list' &&
        valueShape.type !== 'map'
      ) {
        if (item !== null && !JSON_TYPES[valueShape.type](item)) {
          this.unreadable ??= `Value ${shown(item)} at '${path}.${key}' cannot be read as a ${valueShape.type}`;
          continue;
        }
        const badValue = scalarConstraints(valueShape, item);
        if (badValue.length > 0)
          this.violations.push(
            `Value ${shown(value)} at '${path}' failed to satisfy constraint: Map value must satisfy constraint: [${badValue.join(', ')}]`,
          );
      } else if (shape.value) this.check(shape.value, item, `${path}.${key}`);
    }
  }

  private lengthOf(shape: Shape, length: number, value: unknown, path: string): void {
    if (shape.max !== undefined && length > shape.max)
      this.violations.push(
        `Value ${shown(value)} at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${shape.max}`,
      );
    if (shape.min !== undefined && length < shape.min)
      this.violations.push(
        `Value ${shown(value)} at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${shape.min}`,
      );
  }
}

/** What a request breaks: a value of the wrong JSON type, and every broken constraint. */
export interface RequestViolations {
  /** A value the service cannot read at all (it answers SerializationException). */
  unreadable?: string;
  /** "Value 'x' at 'a.b' failed to satisfy constraint: Member must ...", one per problem. */
  violations: string[];
}

/** Checks a request against the operation's input shape, as the service does before it acts. */
export function requestViolations(
  model: ServiceModel,
  operation: string,
  input: Record<string, unknown>,
): RequestViolations {
  const ref = model.operations[operation]?.input;
  const checker = new RequestChecker(model);
  if (ref) checker.check(ref, input, '');
  return {
    ...(checker.unreadable !== undefined ? { unreadable: checker.unreadable } : {}),
    violations: checker.violations,
  };
}

/** AWS's summary of violations: "2 validation errors detected: A; B". */
export const validationMessage = (violations: readonly string[]): string =>
  `${violations.length} validation error${violations.length === 1 ? '' : 's'} detected: ${violations.join('; ')}`;

/**
 * What is wrong with an answer, measured against the operation's output shape: a required member
 * missing, a member the shape does not have, a value of the wrong type or outside its enum.
 * Empty when the answer is one the real service could have sent.
 */
export function responseProblems(model: ServiceModel, operation: string, output: unknown): string[] {
  const problems: string[] = [];
  const visit = (ref: ShapeRef | undefined, value: unknown, path: string): void => {
    const shape = ref && model.shapes[ref.shape];
    if (!shape || value === undefined || value === null) return;
    if (!JSON_TYPES[shape.type](value)) {
      problems.push(`${path || '(answer)'}: ${JSON.stringify(value)} is not a ${shape.type}`);
      return;
    }
    if (shape.type === 'structure') {
      const record = value as Record<string, unknown>;
      for (const name of shape.required ?? [])
        if (record[name] === undefined || record[name] === null)
          problems.push(`${path}${name}: required, missing`);
      for (const [name, member] of Object.entries(record)) {
        const memberRef = shape.members?.[name];
        if (!memberRef) problems.push(`${path}${name}: not a member of ${ref.shape}`);
        else visit(memberRef, member, `${path}${name}.`);
      }
    } else if (shape.type === 'list') {
      for (const [index, item] of (value as unknown[]).entries())
        visit(shape.member, item, `${path}${index}.`);
    } else if (shape.type === 'map') {
      for (const [key, item] of Object.entries(value as Record<string, unknown>))
        visit(shape.value, item, `${path}${key}.`);
    } else if (shape.type === 'string' && shape.enum && !shape.enum.includes(value as string)) {
      problems.push(`${path.replace(/\.$/, '')}: '${String(value)}' is not one of ${shape.enum.join(', ')}`);
    }
  };
  visit(model.operations[operation]?.output, output, '');
  return problems;
}
