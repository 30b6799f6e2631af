// Bundles the CLI into dist/pipeline.mjs: one file to load instead of hundreds of modules, which
// keeps `pipeline` within 2x of node's own start-up (see BENCHMARKS.md). Modules imported with
// import() (the listr2 renderer, later the AWS SDK) become chunks loaded only when used.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * JSON modules (AWS's service models) as JSON.parse of a string: V8 parses JSON several times
 * faster than the same object written as JavaScript, which is how esbuild emits it. SageMaker's
 * 650 KB model loads in about 15 ms instead of 55.
 */
const jsonAsParse = {
  name: 'json-as-parse',
  setup(plugin) {
    plugin.onLoad({ filter: /\.json$/ }, (file) => ({
      contents: `export default JSON.parse(${JSON.stringify(readFileSync(file.path, 'utf8'))});`,
      loader: 'js',
    }));
  },
};

// Chunk names carry content hashes: clear the old ones so that they do not pile up.
rmSync('dist/chunks', { recursive: true, force: true });

await build({
  // The second entry is the same CLI with the engine-test stages: benchmarks time the engine with it.
  entryPoints: { pipeline: 'src/cli/bin.ts', 'pipeline-test-stages': 'test/rig/test-cli.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [jsonAsParse],
  // Packages' ES module builds first: the AWS SDK's (dist-es) lets esbuild drop the commands and
  // shapes the tool never calls, where its CommonJS build is one file of every one. Loading the
  // five clients fell from about 160 ms to 75 ms, and the chunks from 6.5 MB to 4.7 MB. (Of the
  // other packages only fastest-levenshtein and emoji-regex resolve differently, to their own
  // ES builds.)
  mainFields: ['module', 'main'],
  // CommonJS dependencies bundled into ESM still call require() for node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
