// The bucket operations of the local S3: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
// GetBucketLocation, GetBucketVersioning, and ListObjects (list-objects.ts).
import { isBucketName } from './object-layout.js';
import { OWNER } from './owner.js';
import { readSmallBody } from './request-body.js';
import { malformedXml, S3Error } from './s3-error.js';
import { noContent, type S3Answer, type S3Context, type S3Request, xmlAnswer } from './s3-request.js';
import { parseXmlBody, xmlDocument } from './s3-xml.js';

export async function listBuckets(context: S3Context): Promise<S3Answer> {
  const buckets = await context.store.listBuckets();
  return xmlAnswer(
    xmlDocument('ListAllMyBucketsResult', {
      Owner: OWNER,
      Buckets: {
        Bucket: buckets.map((bucket) => ({ Name: bucket.name, CreationDate: bucket.created.toISOString() })),
      },
    }),
  );
}

const invalidBucketName = (name: string): S3Error =>
  new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });

export async function createBucket(context: S3Context, request: S3Request): Promise<S3Answer> {
  const name = request.bucket;
  if (!isBucketName(name) || /^\d+\.\d+\.\d+\.\d+$/.test(name)) throw invalidBucketName(name);
  const text = await readSmallBody(request.raw);
  let location = '';
  if (text.trim() !== '') {
    const configuration = parseXmlBody(text).CreateBucketConfiguration as
      | { LocationConstraint?: unknown }
      | undefined;
    if (!configuration) throw malformedXml();
    location = typeof configuration.LocationConstraint === 'string' ? configuration.LocationConstraint : '';
  }
  if (await context.store.bucket(name)) {
    // In us-east-1 (no location constraint) S3 answers 200 and changes nothing; elsewhere 409.
    if (location === '') return { status: 200, headers: { location: `/${name}` } };
    throw new S3Error(
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      { BucketName: name },
    );
  }
  context.store.createBucket(name, location);
  return { status: 200, headers: { location: `/${name}` } };
}

export async function headBucket(context: S3Context, request: S3Request): Promise<S3Answer> {
  await context.store.requireBucket(request.bucket);
  return {
    status: 200,
    headers: { 'x-amz-bucket-region': (await context.store.bucketLocation(request.bucket)) || 'us-east-1' },
  };
}

export async function deleteBucket(context: S3Context, request: S3Request): Promise<S3Answer> {
  await context.store.deleteBucket(request.bucket);
  return noContent;
}

export async function getBucketLocation(context: S3Context, request: S3Request): Promise<S3Answer> {
  const location = await context.store.bucketLocation(request.bucket);
  return xmlAnswer(xmlDocument('LocationConstraint', { '#text': location }));
}

/** A bucket of the local S3 is never versioned: S3 answers such a bucket with an empty configuration. */
export async function getBucketVersioning(): Promise<S3Answer> {
  return xmlAnswer(xmlDocument('VersioningConfiguration', {}));
}
