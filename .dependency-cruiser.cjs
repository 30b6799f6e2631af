// The architecture as rules: dependencies point one way,
//   cli → stages → sagemaker / runtimes / review / local-sagemaker → engine → shared
// and the engine knows nothing about AWS, stages or containers. `npm test` runs this check
// (npm run check:deps); test/architecture.test.ts proves a rule is live by breaking it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'engine-is-neutral',
      comment:
        'The engine (config, plan, state, run) imports no AWS SDK, no stage, no runtime, no SageMaker code, no review code and no CLI.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: {
        path: [
          '^src/(sagemaker|local-sagemaker|runtimes|review|cli)/',
          '^stages/',
          '@aws-sdk/',
          'node_modules/(fast-xml-parser|tar|listr2|execa)/',
        ],
      },
    },
    {
      name: 'shared-is-a-leaf',
      comment: 'src/shared holds neutral pieces: it imports nothing else of the project.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^(src/(?!shared/)|stages/)' },
    },
    {
      name: 'runtimes-below-sagemaker',
      comment: 'The container runtimes know nothing of SageMaker, review, stages or the CLI.',
      severity: 'error',
      from: { path: '^src/runtimes/' },
      to: { path: ['^src/(sagemaker|local-sagemaker|review|cli)/', '^stages/'] },
    },
    {
      name: 'review-below-stages',
      comment: 'Evaluation and history read runs; they call no AWS and run no container.',
      severity: 'error',
      from: { path: '^src/review/' },
      to: { path: ['^src/(sagemaker|local-sagemaker|runtimes|cli)/', '^stages/', '@aws-sdk/'] },
    },
    {
      name: 'sagemaker-below-stages',
      comment:
        'The SageMaker operations know no stage and no CLI; they reach the local SageMaker only through its launcher.',
      severity: 'error',
      from: { path: '^src/sagemaker/' },
      to: {
        path: ['^src/(review|cli)/', '^stages/', '^src/local-sagemaker/(?!daemon\\.ts|identity\\.ts)'],
      },
    },
    {
      name: 'local-sagemaker-is-a-program',
      comment:
        'The local SageMaker is a server of its own: it uses the runtimes and shared pieces, never the client side, stages or the CLI.',
      severity: 'error',
      from: { path: '^src/local-sagemaker/' },
      to: { path: ['^src/(sagemaker|review|cli|engine)/', '^stages/'] },
    },
    {
      name: 'example-stands-alone',
      comment:
        'src/example makes the example data set: a program of its own that imports none of the project, and that none of it imports.',
      severity: 'error',
      from: { path: '^src/example/' },
      to: { path: ['^src/(?!example/)', '^stages/'] },
    },
    {
      name: 'nothing-imports-the-example',
      comment: 'The tool does not ship the example data generator as part of itself.',
      severity: 'error',
      from: { path: '^(src/(?!example/)|stages/)' },
      to: { path: '^src/example/' },
    },
    {
      name: 'stages-below-cli',
      comment: 'Stages know nothing of the CLI that runs them.',
      severity: 'error',
      from: { path: '^stages/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-module-cycles',
      comment: 'No module depends on itself through others.',
      severity: 'error',
      from: { path: '^(src|stages)/' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment:
        'Inside the engine and the local SageMaker, the folders are layers too: none depends on itself through the others (config ← plan ← state ← run; protocol ← logs, s3 ← sagemaker ← runtime).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/(engine|local-sagemaker)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/(engine/config|local-sagemaker)/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
