#!/usr/bin/env node
// Runs the bundled CLI (dist/pipeline.mjs, made by `npm run build`, which `npm install` runs).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/pipeline.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(
    'pipeline is not built yet: run `npm install` (or `npm run build`) in its folder first.\n',
  );
  process.exit(70);
}
await import(bundle.href);
