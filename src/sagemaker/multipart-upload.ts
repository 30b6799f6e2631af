// Sends one large file as an S3 multipart upload, each part read straight from the file into one
// of a fixed pool of part buffers, `concurrency` parts in flight. lib-storage, which did this
// before, joins what it reads into freshly allocated parts: every byte copied once more and every
// part a new 8 MiB allocation for the garbage collector, 3.6 s of CPU per GiB against 1.0 s here
// (BENCHMARKS.md, "Upload"), which made the upload slower than the aws CLI's. What lib-storage
// does for S3's protocol is kept as it does it: the checksum algorithm declared when the upload
// is created and each part's checksum given back when it is completed (the S3 client adds a CRC32
// to every part), and an upload that fails is aborted, so that no part is left stored and billed.
import { open } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  type ChecksumAlgorithm,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { StageError } from '../shared/errors.js';
import { inParallel } from '../shared/in-parallel.js';

export interface MultipartUpload {
  s3: S3Client;
  bucket: string;
  key: string;
  path: string;
  size: number;
  partSize: number;
  /** Parts in flight, and so part buffers held: memory is concurrency × partSize. */
  concurrency: number;
  signal: AbortSignal;
  /** Bytes of a part that S3 has acknowledged. */
  onProgress(bytes: number): void;
}

/** The checksum the S3 client computes for each part, as CreateMultipartUpload must declare it. */
async function checksumAlgorithmOf(s3: S3Client): Promise<ChecksumAlgorithm | undefined> {
  const calculation = await s3.config.requestChecksumCalculation();
  return calculation === 'WHEN_SUPPORTED' ? 'CRC32' : undefined;
}

/** Uploads the file; returns the object's ETag. */
export async function uploadMultipart(upload: MultipartUpload): Promise<string> {
  const { s3, bucket: Bucket, key: Key, signal } = upload;
  const algorithm = await checksumAlgorithmOf(s3);
  const created = await s3.send(
    new CreateMultipartUploadCommand({ Bucket, Key, ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}) }),
    { abortSignal: signal },
  );
  const UploadId = created.UploadId;
  if (!UploadId) throw new StageError(`S3 gave no upload id for ${Key}`);
  const file = await open(upload.path, 'r');
  try {
    const partCount = Math.max(1, Math.ceil(upload.size / upload.partSize));
    const buffers = Array.from({ length: Math.min(upload.concurrency, partCount) }, () =>
      Buffer.allocUnsafe(upload.partSize),
    );
    const parts: CompletedPart[] = new Array(partCount);
    const partNumbers = Array.from({ length: partCount }, (_, index) => index + 1);
    await inParallel(partNumbers, buffers.length, async (PartNumber) => {
      const buffer = buffers.pop() as (typeof buffers)[number]; // one per worker: never empty
      try {
        const offset = (PartNumber - 1) * upload.partSize;
        const length = Math.min(upload.partSize, upload.size - offset);
        const { bytesRead } = await file.read(buffer, 0, length, offset);
        if (bytesRead !== length) throw new StageError(`${upload.path} changed while it was being uploaded`);
        const sent = await s3.send(
          new UploadPartCommand({
            Bucket,
            Key,
            UploadId,
            PartNumber,
            Body: buffer.subarray(0, length),
            ContentLength: length,
          }),
          { abortSignal: signal },
        );
        parts[PartNumber - 1] = {
          PartNumber,
          ETag: sent.ETag,
          ...(sent.ChecksumCRC32 ? { ChecksumCRC32: sent.ChecksumCRC32 } : {}),
        };
        upload.onProgress(length);
      } finally {
        buffers.push(buffer);
      }
    });
    const completed = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      { abortSignal: signal },
    );
    return completed.ETag ?? '';
  } catch (error) {
    // Not with the run's signal: an interrupted upload must still be cleaned up.
    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
    throw error;
  } finally {
    await file.close();
  }
}
