// `prepack` and `postpack`: the package a user installs has no `prepare` script. It is what builds
// this repository after `npm install` here; in the tarball (built already) npm would only list it
// as an install script the user must approve. `strip` keeps the manifest aside and removes it;
// `restore` puts the manifest back as it was.
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'package.json');
const kept = join(root, '.package.json.before-pack');

if (process.argv[2] === 'strip') {
  // A pack that died before its postpack left the original aside: it is the one to keep.
  if (!existsSync(kept)) copyFileSync(manifest, kept);
  const text = readFileSync(kept, 'utf8');
  const pkg = JSON.parse(text);
  delete pkg.scripts.prepare;
  // Written aside and renamed into place, as `restore` puts it back: node reads package.json to
  // start every program in this folder (the test suite runs the CLI here meanwhile), and a
  // truncate-then-write let one read it empty ("Unexpected end of JSON input").
  const stripped = join(root, '.package.json.stripped');
  writeFileSync(stripped, `${JSON.stringify(pkg, null, 2)}\n`);
  renameSync(stripped, manifest);
} else if (process.argv[2] === 'restore') {
  if (existsSync(kept)) renameSync(kept, manifest);
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore');
  process.exit(2);
}
