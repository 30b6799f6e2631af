/** The account every ARN of the local services names: SageMaker's documentation's example one. */
export const ACCOUNT = '000000000000';
