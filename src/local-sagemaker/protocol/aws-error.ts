// Errors in the shape AWS JSON 1.1 services answer with, so that an AWS SDK raises the typed
// exception (ValidationException, ResourceNotFound, ResourceInUse, ...) and the aws CLI prints it.

export class AwsError extends Error {
  constructor(
    /** The exception's name, as the service's API model spells it. */
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const validation = (message: string): AwsError => new AwsError('ValidationException', message);
export const notFound = (message: string): AwsError => new AwsError('ResourceNotFound', message);
export const inUse = (message: string): AwsError => new AwsError('ResourceInUse', message);
