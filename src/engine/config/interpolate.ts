// `${VAR}` and `${VAR:-default}` in string values, from the environment. `$${` is a literal `${`.
// A value that is exactly one `${...}` takes the YAML type of what it expands to, so that
// `instanceCount: ${COUNT:-1}` is the number 1, not the string "1".
import type { Diagnostic } from './diagnostic.js';
import { looksSecret } from './secret-names.js';
import { type PositionMap, pointerOf } from './yaml-source.js';

const EXPRESSION = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Interpolated {
  value: unknown;
  diagnostics: Diagnostic[];
  /** Values of secret variables (secret-looking names, or named in `secrets:`): never written. */
  secrets: string[];
}

export function interpolate(
  value: unknown,
  positions: PositionMap,
  env: Readonly<Record<string, string | undefined>>,
  /** Variables that are secret although their names do not say so (the config's `secrets:`). */
  secretNames: ReadonlySet<string> = new Set(),
  /**
   * Settings a command does not need (`destroy` needs no training environment): one that names an
   * unset variable is left out, as if not written, instead of being an error.
   */
  canLeaveOut: (path: readonly (string | number)[]) => boolean = () => false,
): Interpolated {
  const diagnostics: Diagnostic[] = [];
  const secrets: string[] = [];
  const LEAVE_OUT = Symbol('leave out');

  const expand = (text: string, path: (string | number)[]): unknown => {
    if (!text.includes('${')) return text;
    const report = (message: string): void => {
      diagnostics.push({ message, location: positions.get(pointerOf(path))?.value });
    };
    let whole = false;
    let unset = false;
    const result = text.replace(EXPRESSION, (match, body: string | undefined, offset: number) => {
      if (match === '$${') return '${';
      if (body === undefined) {
        report(`unterminated "\${" in "${text}"`);
        return match;
      }
      whole = match.length === text.length && offset === 0;
      const separator = body.indexOf(':-');
      const name = separator === -1 ? body.trim() : body.slice(0, separator).trim();
      const fallback = separator === -1 ? undefined : body.slice(separator + 2);
      if (!VARIABLE_NAME.test(name)) {
        report(`"\${${body}}" is not a variable reference: use \${NAME} or \${NAME:-default}`);
        return match;
      }
      const found = env[name];
      if (found !== undefined && found !== '') {
        if (looksSecret(name) || secretNames.has(name)) secrets.push(found);
        return found;
      }
      if (fallback !== undefined) return fallback;
      unset = true;
      if (canLeaveOut(path)) return match;
      report(`environment variable ${name} is not set (give a default with \${${name}:-value})`);
      return match;
    });
    if (unset && canLeaveOut(path)) return LEAVE_OUT;
    return whole ? typedScalar(result) : result;
  };

  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') return expand(node, path);
    if (Array.isArray(node)) {
      return node.map((item, index) => walk(item, [...path, index])).filter((item) => item !== LEAVE_OUT);
    }
    if (node && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node)
          .map(([key, child]) => [key, walk(child, [...path, key])])
          .filter(([, child]) => child !== LEAVE_OUT),
      );
    }
    return node;
  };

  return { value: walk(value, []), diagnostics, secrets };
}

/** The YAML 1.2 core schema's reading of a plain scalar: numbers and booleans, else the string. */
export function typedScalar(text: string): string | number | boolean {
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^[-+]?(\d+|\d*\.\d+|\d+\.\d*)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}
