// A nested value as dotted paths to its leaves: how runs are compared setting by setting.
export function flatten(
  value: unknown,
  prefix = '',
  into: Record<string, unknown> = {},
): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) into[prefix] = {};
    for (const [key, inner] of entries) flatten(inner, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix) {
    into[prefix] = value;
  }
  return into;
}

export interface Change {
  path: string;
  before: unknown;
  after: unknown;
}

/** The leaves that differ between two flattened values, sorted by path. */
export function changes(before: Record<string, unknown>, after: Record<string, unknown>): Change[] {
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return paths
    .filter((path) => JSON.stringify(before[path]) !== JSON.stringify(after[path]))
    .map((path) => ({ path, before: before[path], after: after[path] }));
}
