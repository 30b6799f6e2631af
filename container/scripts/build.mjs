// Compiles the programs (tsc) and the WebAssembly kernel (asc) into a fresh folder, then moves each
// file into dist/ with a rename. A rename replaces a file in one step, so a program starting while
// a build runs (another pipeline run, a test beside it) reads the old file or the new one, never a
// file half written. When the sources are those of the last build (dist/.build-inputs holds their
// digest) and dist/ is whole, nothing is compiled: a build of unchanged sources takes no time.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

const SOURCES = ['src', 'assembly', 'tsconfig.json', 'package-lock.json', 'scripts/build.mjs'];
const STAMP = join('dist', '.build-inputs');
const ENTRY_POINTS = ['train.js', 'serve.js', 'process.js', 'dense-network.wasm'];

/** The files of a source: itself, or every file under it. */
function filesOf(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => filesOf(join(path, entry.name)));
}

function sourcesDigest() {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap(filesOf).sort())
    hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

const digest = sourcesDigest();
const upToDate =
  existsSync(STAMP) &&
  readFileSync(STAMP, 'utf8').trim() === digest &&
  ENTRY_POINTS.every((file) => existsSync(join('dist', file)));
if (upToDate) {
  process.stdout.write('dist/ is up to date with the sources: nothing to compile\n');
} else {
  const fresh = mkdtempSync('dist-build-');
  try {
    // npm run puts tsc and asc on PATH (the enclosing project's node_modules/.bin).
    execFileSync('tsc', ['-p', '.', '--outDir', fresh], { stdio: 'inherit' });
    execFileSync(
      'asc',
      [
        'assembly/dense-network.ts',
        '-O3',
        '--runtime',
        'stub',
        '--noAssert',
        '--enable',
        'simd',
        '--outFile',
        join(fresh, 'dense-network.wasm'),
      ],
      { stdio: 'inherit' },
    );
    for (const file of readdirSync(fresh, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const from = join(file.parentPath ?? file.path, file.name);
      const to = join('dist', from.slice(fresh.length + 1));
      mkdirSync(dirname(to), { recursive: true });
      renameSync(from, to);
    }
    // Last, so that a build cut short never leaves a stamp over outputs it did not finish.
    writeFileSync(STAMP, `${digest}\n`);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}
