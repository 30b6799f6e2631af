// Where SageMaker's /opt/ml tree is. In a container it is /opt/ml; OPT_ML=DIR points the programs
// at a local mirror of it instead (the `process` runtime, local tests).

export interface MlPaths {
  root: string;
  hyperparameters: string;
  inputDataConfig: string;
  resourceConfig: string;
  channel(name: string): string;
  model: string;
  failure: string;
  outputData: string;
}

export function mlPaths(env: NodeJS.ProcessEnv = process.env): MlPaths {
  const root = (env.OPT_ML ?? '/opt/ml').replace(/\/+$/, '') || '/';
  return {
    root,
    hyperparameters: `${root}/input/config/hyperparameters.json`,
    inputDataConfig: `${root}/input/config/inputdataconfig.json`,
    resourceConfig: `${root}/input/config/resourceconfig.json`,
    channel: (name) => `${root}/input/data/${name}`,
    model: `${root}/model`,
    failure: `${root}/output/failure`,
    outputData: `${root}/output/data`,
  };
}
