// How the local SageMaker says who it is (GET /_pipeline/identity), so that a CLI adopts or
// signals a daemon only when it is the one its server.json describes. A module of its own: the
// CLI reads it without loading the server.

export const IDENTITY_PATH = '/_pipeline/identity';

export interface LocalSageMakerIdentity {
  service: 'pipeline-local-sagemaker';
  /** The data folder, resolved (realpath). */
  dataDir: string;
  pid: number;
  /** The token its starter gave it (PIPELINE_DAEMON_TOKEN), repeated in server.json. */
  token: string | null;
  /** The region it serves, and the registry behind its ECR: a clone that shares it checks both. */
  region: string;
  registry: string | null;
}
