// An endpoint's status as SageMaker moves it, in one place: which moves are legal (Creating ends
// InService or Failed; InService is updated or fails; an update ends InService, on the new or the
// old configuration, or Failed; a Failed endpoint is only deleted), and each move stamps
// LastModifiedTime and says why it failed, when it did.
import { epochSeconds } from '../protocol/request-fields.js';

export type EndpointStatus = 'Creating' | 'Updating' | 'InService' | 'Failed' | 'Deleting' | 'OutOfService';

const NEXT: Record<EndpointStatus, readonly EndpointStatus[]> = {
  Creating: ['InService', 'Failed', 'Deleting'],
  Updating: ['InService', 'Failed', 'Deleting'],
  InService: ['Updating', 'Failed', 'Deleting', 'OutOfService'],
  OutOfService: ['InService', 'Failed', 'Deleting'],
  Failed: ['Deleting'],
  Deleting: [],
};

/** The members of an endpoint's record the status moves. */
export interface EndpointStatusRecord {
  EndpointName: string;
  EndpointStatus: EndpointStatus;
  FailureReason?: string;
  LastModifiedTime: number;
}

/**
 * Moves the endpoint to `status` (staying where it is is a move too: it stamps the time), with
 * `failureReason` when the move records one; a move SageMaker never makes is a bug, and thrown.
 */
export function moveEndpoint(
  endpoint: EndpointStatusRecord,
  status: EndpointStatus,
  failureReason?: string,
): void {
  if (endpoint.EndpointStatus !== status && !NEXT[endpoint.EndpointStatus].includes(status))
    throw new Error(
      `endpoint ${endpoint.EndpointName} cannot go from ${endpoint.EndpointStatus} to ${status}`,
    );
  endpoint.EndpointStatus = status;
  if (failureReason !== undefined) endpoint.FailureReason = failureReason.slice(0, 1024);
  else delete endpoint.FailureReason;
  endpoint.LastModifiedTime = epochSeconds();
}
