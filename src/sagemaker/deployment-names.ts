// The names a deployment's resources take, apart from the SDK calls that make them: the deploy
// stage's drift check reads them, and a no-op run must not load the AWS SDK to do it.

/** The endpoint config that holds a candidate beside the champion (deploy.strategy gated). */
export const candidateConfigOf = (deploymentName: string): string => `${deploymentName}-c`;
