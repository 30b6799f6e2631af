// Writes docs/pipeline-yaml-reference.md from schemas/pipeline.schema.json: every key of
// pipeline.yaml with its type, default and description, so that the reference cannot drift from
// the schema the CLI validates with. `--check` exits 1 (saying so) when the file is not current;
// test/e2e/docs.test.ts runs it.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = JSON.parse(readFileSync(join(root, 'schemas', 'pipeline.schema.json'), 'utf8'));
const target = join(root, 'docs', 'pipeline-yaml-reference.md');

const resolveRef = (node) => {
  let current = node;
  const merged = { ...node };
  while (current?.$ref) {
    current = schema.$defs[current.$ref.replace('#/$defs/', '')];
    for (const [key, value] of Object.entries(current ?? {})) if (!(key in merged)) merged[key] = value;
  }
  delete merged.$ref;
  return merged;
};

function typeOf(node) {
  if (node.enum) return node.enum.map((value) => JSON.stringify(value)).join(' | ');
  const type = Array.isArray(node.type) ? node.type.join(' | ') : node.type;
  if (type === 'array') {
    const items = node.items ? resolveRef(node.items) : {};
    return `list of ${items.type === 'object' ? 'objects' : typeOf(items)}`;
  }
  if (type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object')
    return 'map';
  return type ?? 'any';
}

const cell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');

const rows = [];
function walk(node, path) {
  const resolved = resolveRef(node);
  if (path) {
    const defaultValue = resolved.default;
    const shownDefault =
      defaultValue === undefined ||
      (typeof defaultValue === 'object' &&
        Object.keys(defaultValue).length === 0 &&
        !Array.isArray(defaultValue))
        ? ''
        : `\`${JSON.stringify(defaultValue)}\``;
    rows.push(
      `| \`${path}\` | ${cell(typeOf(resolved))} | ${shownDefault} | ${cell(resolved.description ?? '')} |`,
    );
  }
  if (resolved.properties)
    for (const [key, child] of Object.entries(resolved.properties))
      walk(child, path ? `${path}.${key}` : key);
  if (resolved.additionalProperties && typeof resolved.additionalProperties === 'object') {
    const child = resolveRef(resolved.additionalProperties);
    if (child.properties) walk(child, `${path}.<name>`);
  }
  if (resolved.type === 'array' && resolved.items) {
    const items = resolveRef(resolved.items);
    if (items.properties)
      for (const [key, child] of Object.entries(items.properties)) walk(child, `${path}[].${key}`);
  }
}
walk(schema, '');

const text = `# pipeline.yaml reference

Made from \`schemas/pipeline.schema.json\` by \`node scripts/write-config-reference.mjs\` (a test
fails when it is not current). How the file is read (variables, environments, \`--set\`,
secrets): [configuration.md](configuration.md).

${cell(schema.description)}

| key | type | default | meaning |
| --- | --- | --- | --- |
${rows.join('\n')}
`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current !== text) {
    console.error(`${target} is not current: run node scripts/write-config-reference.mjs`);
    process.exit(1);
  }
} else writeFileSync(target, text);
