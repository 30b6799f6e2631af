// Which operation a request to the local S3 is: path-style addressing (/BUCKET/KEY), the method,
// and the subresource named in the query. Subresources S3 has and this server does not are
// refused with NotImplemented, naming them, never answered as another operation.
import * as buckets from './bucket-operations.js';
import { listObjects } from './list-objects.js';
import * as multipart from './multipart-operations.js';
import * as objects from './object-operations.js';
import { noSuchBucket, notImplemented, S3Error } from './s3-error.js';
import { type S3Answer, type S3Context, type S3Request, xmlAnswer } from './s3-request.js';

type Operation = (context: S3Context, request: S3Request) => Promise<S3Answer>;

/** The query parameters that name a subresource (and so an operation) in S3's REST API. */
const SUBRESOURCES = [
  'accelerate',
  'acl',
  'analytics',
  'attributes',
  'cors',
  'delete',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'location',
  'logging',
  'metadataConfiguration',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'renameObject',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'session',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versioning',
  'versions',
  'website',
];

const listObjectsOperation: Operation = async (context, request) =>
  xmlAnswer(await listObjects(context.store, request.bucket, request.query));

/** method → subresource ('' for none) → operation, for the service, a bucket and an object. */
const SERVICE: Record<string, Record<string, Operation>> = {
  GET: { '': (context) => buckets.listBuckets(context) },
};
const BUCKET: Record<string, Record<string, Operation>> = {
  PUT: { '': buckets.createBucket },
  HEAD: { '': buckets.headBucket },
  DELETE: { '': buckets.deleteBucket },
  GET: {
    '': listObjectsOperation,
    location: buckets.getBucketLocation,
    uploads: multipart.listMultipartUploads,
    versioning: () => buckets.getBucketVersioning(),
  },
  POST: { delete: objects.deleteObjects },
};
const OBJECT: Record<string, Record<string, Operation>> = {
  PUT: {
    '': (context, request) =>
      request.raw.headers['x-amz-copy-source'] !== undefined
        ? objects.copyObject(context, request)
        : objects.putObject(context, request),
    uploadId: multipart.uploadPart,
  },
  GET: { '': objects.getObject, uploadId: multipart.listParts },
  HEAD: { '': objects.getObject },
  DELETE: { '': objects.deleteObject, uploadId: multipart.abortMultipartUpload },
  POST: { uploads: multipart.createMultipartUpload, uploadId: multipart.completeMultipartUpload },
};

/** The bucket and key a path names: /BUCKET/KEY, the key's escapes decoded. */
export function parsePath(rawPath: string): { bucket: string; key: string } {
  const path = rawPath.replace(/^\//, '');
  const slash = path.indexOf('/');
  try {
    if (slash === -1) return { bucket: decodeURIComponent(path), key: '' };
    return {
      bucket: decodeURIComponent(path.slice(0, slash)),
      key: decodeURIComponent(path.slice(slash + 1)),
    };
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.", { URI: rawPath });
  }
}

export async function dispatch(context: S3Context, request: S3Request): Promise<S3Answer> {
  const named = SUBRESOURCES.filter((name) => request.query.has(name));
  if (named.length > 1)
    throw new S3Error('InvalidArgument', `Conflicting query string parameters: ${named.join(', ')}`, {
      ArgumentName: 'ResourceType',
      ArgumentValue: named[0] as string,
    });
  const subresource = named[0] ?? '';
  const table = request.bucket === '' ? SERVICE : request.key === '' ? BUCKET : OBJECT;
  const byMethod = table[request.method];
  if (!byMethod)
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      Method: request.method,
      ResourceType: request.bucket === '' ? 'SERVICE' : request.key === '' ? 'BUCKET' : 'OBJECT',
    });
  const operation = byMethod[subresource];
  if (!operation)
    throw subresource === ''
      ? new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
          Method: request.method,
          ResourceType: 'OBJECT',
        })
      : notImplemented(`${request.method} ?${subresource}`);
  // Every operation but creating one works on a bucket that exists.
  if (
    request.bucket !== '' &&
    operation !== buckets.createBucket &&
    !(await context.store.bucket(request.bucket))
  )
    throw noSuchBucket(request.bucket);
  return operation(context, request);
}
