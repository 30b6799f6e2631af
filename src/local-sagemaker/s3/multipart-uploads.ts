// Multipart uploads as S3 keeps them: begun with a key and the object's headers, parts uploaded
// (each replacing an earlier one of its number), then completed (the parts named, checked and
// put together into the object) or aborted. An upload's folder holds `key`, `metadata` (the
// stored headers), `checksum` (the algorithm every part must carry, if one was declared) and
// each part N with its MD5 in N.md5 and its checksum in N.checksum.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { declaredChecksum } from './checksums.js';
import { headerOf } from './http-header.js';
import { compareKeys } from './key-order.js';
import { UPLOAD_ID } from './object-layout.js';
import type { ObjectStore, PendingObject } from './object-store.js';
import { receiveBody } from './request-body.js';
import { noSuchUpload, S3Error } from './s3-error.js';
import { storedHeaders } from './stored-object.js';

/** S3's smallest part but the last: 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;

export interface Upload {
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface UploadedPart {
  number: number;
  size: number;
  /** Unquoted. */
  md5Hex: string;
  lastModified: Date;
  checksum: string | undefined;
}

/** A part as a CompleteMultipartUpload names it. */
export interface NamedPart {
  number: number;
  etag: string;
  checksum: string | undefined;
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

export class MultipartUploads {
  constructor(private readonly store: ObjectStore) {}

  private folder(bucket: string, uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw noSuchUpload(uploadId);
    return this.store.layout.uploadFolder(bucket, uploadId);
  }

  /** The upload's key and headers; NoSuchUpload when it is not one of key's uploads. */
  private async read(bucket: string, key: string, uploadId: string) {
    const folder = this.folder(bucket, uploadId);
    try {
      const [uploadKey, metadata, checksum] = await Promise.all([
        readFile(join(folder, 'key'), 'utf8'),
        readFile(join(folder, 'metadata'), 'utf8'),
        readFile(join(folder, 'checksum'), 'utf8').catch((error) => {
          if (isMissing(error)) return undefined;
          throw error;
        }),
      ]);
      if (uploadKey !== key) throw noSuchUpload(uploadId);
      return { folder, headers: storedHeaders(JSON.parse(metadata)), checksum };
    } catch (error) {
      if (isMissing(error)) throw noSuchUpload(uploadId);
      throw error;
    }
  }

  async begin(bucket: string, key: string, request: IncomingMessage): Promise<string> {
    const headers = storedHeaders(request.headers);
    const algorithm = headerOf(request.headers, 'x-amz-checksum-algorithm');
    const uploadId = randomBytes(16).toString('hex');
    const folder = this.folder(bucket, uploadId);
    await mkdir(folder, { recursive: true });
    await Promise.all([
      writeFile(join(folder, 'key'), key),
      writeFile(join(folder, 'metadata'), JSON.stringify(headers)),
      ...(algorithm ? [writeFile(join(folder, 'checksum'), algorithm.toLowerCase())] : []),
    ]);
    return uploadId;
  }

  /** Receives a part; returns its MD5 (its ETag, unquoted) and its checksum if it carried one. */
  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumberText: string | null,
    request: IncomingMessage,
  ): Promise<{ md5Hex: string; checksum?: { algorithm: string; value: string } }> {
    const partNumber = Number(partNumberText);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER)
      throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
        ArgumentName: 'partNumber',
        ArgumentValue: partNumberText ?? '',
      });
    const { folder, checksum: required } = await this.read(bucket, key, uploadId);
    const declared = declaredChecksum(request.headers)?.algorithm;
    if (required !== undefined && declared !== required)
      throw new S3Error(
        'InvalidRequest',
        `Checksum Type mismatch occurred, expected checksum Type: ${required}, actual checksum Type: ${declared ?? 'null'}`,
      );
    const part = join(folder, String(partNumber));
    const scratch = `${part}.partial-${randomBytes(6).toString('hex')}`;
    try {
      const body = await receiveBody(request, scratch);
      await writeFile(`${part}.md5`, body.md5Hex);
      if (body.checksum) await writeFile(`${part}.checksum`, body.checksum.value);
      await rename(scratch, part);
      return { md5Hex: body.md5Hex, ...(body.checksum ? { checksum: body.checksum } : {}) };
    } finally {
      await rm(scratch, { force: true });
    }
  }

  async parts(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    const { folder } = await this.read(bucket, key, uploadId);
    const numbers = (await readdir(folder))
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
    const parts = await Promise.all(numbers.map((number) => this.part(folder, number)));
    return parts.filter((part): part is UploadedPart => part !== undefined);
  }

  private async part(folder: string, number: number): Promise<UploadedPart | undefined> {
    const file = join(folder, String(number));
    try {
      const [info, md5Hex, checksum] = await Promise.all([
        stat(file),
        readFile(`${file}.md5`, 'utf8'),
        readFile(`${file}.checksum`, 'utf8').catch(() => undefined),
      ]);
      return { number, size: info.size, md5Hex: md5Hex.trim(), lastModified: info.mtime, checksum };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    const { folder } = await this.read(bucket, key, uploadId);
    await rm(folder, { recursive: true, force: true });
  }

  /** The bucket's unfinished uploads, in S3's order: by key, then by when they began. */
  async list(bucket: string): Promise<Upload[]> {
    const folder = this.store.layout.uploadsFolder(bucket);
    const ids = (await readdir(folder).catch(() => [] as string[])).filter((id) => UPLOAD_ID.test(id));
    const uploads = await Promise.all(
      ids.map(async (uploadId) => {
        try {
          const [key, info] = await Promise.all([
            readFile(join(folder, uploadId, 'key'), 'utf8'),
            stat(join(folder, uploadId)),
          ]);
          return { key, uploadId, initiated: info.birthtime };
        } catch (error) {
          if (isMissing(error)) return undefined;
          throw error;
        }
      }),
    );
    return uploads
      .filter((upload): upload is Upload => upload !== undefined)
      .sort((a, b) => compareKeys(a.key, b.key) || a.initiated.getTime() - b.initiated.getTime());
  }

  /**
   * Checks the parts a completion names as S3 checks them before it begins: each uploaded with
   * that ETag (and checksum, when given), in ascending order, every one but the last at least
   * 5 MiB. The upload is kept when they fail, for a corrected completion.
   */
  async check(bucket: string, key: string, uploadId: string, named: readonly NamedPart[]) {
    const { folder, headers, checksum } = await this.read(bucket, key, uploadId);
    const checked: UploadedPart[] = [];
    for (const [index, wanted] of named.entries()) {
      if (index > 0 && wanted.number <= (named[index - 1] as NamedPart).number)
        throw new S3Error(
          'InvalidPartOrder',
          'The list of parts was not in ascending order. Parts must be ordered by part number.',
          { UploadId: uploadId },
        );
      const part = await this.part(folder, wanted.number);
      if (
        !part ||
        part.md5Hex !== wanted.etag.replace(/"/g, '') ||
        (wanted.checksum !== undefined && wanted.checksum !== part.checksum)
      )
        throw new S3Error(
          'InvalidPart',
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
          { UploadId: uploadId, PartNumber: wanted.number, ETag: wanted.etag },
        );
      checked.push(part);
    }
    const small = checked.slice(0, -1).find((part) => part.size < MIN_PART_BYTES);
    if (small)
      throw new S3Error(
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed object size.',
        {
          ProposedSize: small.size,
          MinSizeAllowed: MIN_PART_BYTES,
          PartNumber: small.number,
        },
      );
    return { folder, headers, checksum, parts: checked };
  }

  /**
   * Puts checked parts together into a pending object, one part at a time (a 10 GiB upload has
   * 1,280 parts of 8 MiB). Its ETag is S3's for a multipart object: the MD5 of the parts' MD5s, a
   * dash, the number of parts.
   */
  async assemble(
    bucket: string,
    key: string,
    checked: Awaited<ReturnType<MultipartUploads['check']>>,
  ): Promise<PendingObject> {
    const file = this.store.scratchFile(bucket, key);
    try {
      const out = createWriteStream(file);
      for (const part of checked.parts)
        await pipeline(createReadStream(join(checked.folder, String(part.number))), out, { end: false });
      await new Promise<void>((resolve, reject) => {
        out.on('error', reject);
        out.end(resolve);
      });
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    const md5s = Buffer.concat(checked.parts.map((part) => Buffer.from(part.md5Hex, 'hex')));
    const etag = `${createHash('md5').update(md5s).digest('hex')}-${checked.parts.length}`;
    return { file, etag, headers: { ...checked.headers } };
  }

  /** Removes a completed upload's parts. */
  async finish(folder: string): Promise<void> {
    await rm(folder, { recursive: true, force: true });
  }
}
