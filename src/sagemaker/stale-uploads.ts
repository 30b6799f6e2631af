// Multipart uploads that a killed run began and never finished: their parts stay in S3 (and are
// billed on AWS) until someone aborts them. The upload stage aborts those under the pipeline's
// prefix before it sends anything, and `pipeline destroy` does too. The lock on the state means
// no other run of this pipeline is uploading at that moment.
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { AwsConnection } from './aws-connection.js';
import { aws } from './explain-aws-error.js';

export async function abortStaleUploads(
  connection: Pick<AwsConnection, 's3'>,
  bucket: string,
  prefix: string,
  log: (line: string) => void,
): Promise<number> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await aws(`listing unfinished uploads under s3://${bucket}/${prefix}`, () =>
      connection.s3.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      ),
    );
    for (const upload of page.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId) continue;
      await aws(`aborting the unfinished upload of s3://${bucket}/${upload.Key}`, () =>
        connection.s3.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
        ),
      );
      aborted++;
    }
    if (!page.IsTruncated) break;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
  if (aborted > 0) {
    log(
      `aborted ${aborted} unfinished multipart upload(s) under s3://${bucket}/${prefix} that an interrupted run left`,
    );
  }
  return aborted;
}
