/** The account every ARN of the local services names: SageMaker's documentation's example one. */
export const ACCOUNT = '000000000000';

/** The kind and name an ARN of this server names: `arn:aws:sagemaker:R:A:endpoint/NAME`. */
export function resourceOfArn(arn: string): { kind: string; name: string } | undefined {
  const match = arn.match(/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:([a-z-]+)\/(.+)$/);
  return match ? { kind: match[1] as string, name: (match[2] as string).toLowerCase() } : undefined;
}
