// The S3 client every upload goes through. One change from the SDK's defaults: a request body
// that already carries a CRC32 checksum (every PutObject and UploadPart, since the SDK adds one by
// default) is sent with an unsigned payload instead of a SHA-256 of the whole body in the
// signature. S3 verifies the checksum itself, so integrity is the same; the SDK would otherwise
// hash every byte a second time (about a second of CPU per GiB, BENCHMARKS.md). The aws CLI
// makes the same choice.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { FinalizeRequestMiddleware, MetadataBearer } from '@smithy/types';

const CHECKSUM_HEADER = /^x-amz-checksum-/i;

interface HeaderCarrier {
  headers?: Record<string, string>;
}

const unsignedPayloadWhenChecksummed: FinalizeRequestMiddleware<object, MetadataBearer> =
  (next) => async (args) => {
    const headers = (args.request as HeaderCarrier).headers;
    if (headers && Object.keys(headers).some((name) => CHECKSUM_HEADER.test(name))) {
      headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    }
    return next(args);
  };

export function createS3Client(config: S3ClientConfig): S3Client {
  const client = new S3Client(config);
  client.middlewareStack.addRelativeTo(unsignedPayloadWhenChecksummed, {
    name: 'unsignedPayloadWhenChecksummed',
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
  });
  return client;
}
