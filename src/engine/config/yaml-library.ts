// The YAML library, loaded on first use: its start-up is a large part of a no-op run's own
// work, and a run whose pipeline.yaml is unchanged reads the parse from the cache instead
// (parse-cache.ts). The bundle keeps it in a chunk of its own.
export type YamlLibrary = typeof import('yaml');

let loading: Promise<YamlLibrary> | undefined;

export function yamlLibrary(): Promise<YamlLibrary> {
  // yaml is CommonJS: Node's import() and the bundle's both give module.exports as `default`
  // (the bundle gives nothing else).
  loading ??= import('yaml').then((module) => (module as { default?: YamlLibrary }).default ?? module);
  return loading;
}
