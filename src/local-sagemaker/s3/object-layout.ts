// Where the local S3 keeps a bucket's objects on disk. The layout is s3rver's (the local S3 of
// earlier versions), so that a project's .pipeline/local/s3 keeps working: each key is a path of
// folders, its last segment a file name with a suffix per resource:
//   BUCKET/a/b/c.csv._S3rver_object           the bytes
//   BUCKET/a/b/c.csv._S3rver_metadata.json    the headers stored with it (and x-amz-meta-*)
//   BUCKET/a/b/c.csv._S3rver_object.md5       its ETag, without quotes
//   BUCKET/._S3rver_uploads/UPLOAD_ID/        an unfinished multipart upload: key, metadata, parts
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type ObjectFile = 'object' | 'metadata.json' | 'object.md5';

const SUFFIX = '._S3rver_';
const OBJECT_SUFFIX = `${SUFFIX}object`;

/** S3's bucket naming rules; a name outside them never names a folder here. */
const BUCKET_NAME = /^(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const isBucketName = (name: string): boolean => BUCKET_NAME.test(name);

/** The upload IDs this server hands out: 32 hex digits, so an ID never names another folder. */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;

// A key segment that a file system would resolve ('', '.', '..') is stored with a leading '~', and
// so is a segment that starts with '~' or with the store's own suffix (a key `._S3rver_uploads/x`
// is not an upload), so that every key S3 accepts is kept, under its own name, inside its
// bucket's folder.
const encodeSegment = (segment: string): string =>
  segment === '' ||
  segment === '.' ||
  segment === '..' ||
  segment.startsWith('~') ||
  segment.startsWith(SUFFIX)
    ? `~${segment}`
    : segment;
const decodeSegment = (segment: string): string => (segment.startsWith('~') ? segment.slice(1) : segment);

// A segment longer than a file name may be (255 bytes, with the suffix) is kept as a chain of
// folders of at most 200 bytes each: '~+' before every piece but the last, '~-' before the last.
// Real segments never start so: a leading '~' is stored as '~~'.
const PIECE_BYTES = 200;
function segmentParts(segment: string): string[] {
  const encoded = encodeSegment(segment);
  if (Buffer.byteLength(encoded) <= PIECE_BYTES) return [encoded];
  const pieces: string[] = [];
  let piece = '';
  for (const char of encoded) {
    if (Buffer.byteLength(piece + char) > PIECE_BYTES) {
      pieces.push(piece);
      piece = '';
    }
    piece += char;
  }
  pieces.push(piece);
  return pieces.map((part, index) => (index < pieces.length - 1 ? `~+${part}` : `~-${part}`));
}

/** The key whose folders and file name (suffix removed) these are: segmentParts undone. */
function keyOfParts(parts: readonly string[]): string {
  const segments: string[] = [];
  let pending = '';
  for (const part of parts) {
    if (part.startsWith('~+')) {
      pending += part.slice(2);
      continue;
    }
    segments.push(decodeSegment(pending + (part.startsWith('~-') ? part.slice(2) : part)));
    pending = '';
  }
  return segments.join('/');
}

export class ObjectLayout {
  constructor(readonly root: string) {}

  bucketFolder(bucket: string): string {
    return join(this.root, bucket);
  }

  /** The file holding one of an object's resources. */
  objectFile(bucket: string, key: string, file: ObjectFile): string {
    const parts = key.split('/').flatMap(segmentParts);
    const name = parts.pop() as string;
    return join(this.root, bucket, ...parts, `${name}${SUFFIX}${file}`);
  }

  /** The folders an object's files are in, from its bucket's folder down: emptied ones are removed. */
  objectFolders(bucket: string, key: string): string[] {
    const parts = key.split('/').flatMap(segmentParts);
    parts.pop();
    return parts.map((_, index) => join(this.root, bucket, ...parts.slice(0, index + 1)));
  }

  uploadsFolder(bucket: string): string {
    return join(this.root, bucket, `${SUFFIX}uploads`);
  }

  uploadFolder(bucket: string, uploadId: string): string {
    return join(this.uploadsFolder(bucket), uploadId);
  }

  /** A file beside the bucket's objects for one of its settings (its location). */
  bucketSetting(bucket: string, name: string): string {
    return join(this.root, bucket, `${SUFFIX}${name}`);
  }

  /**
   * Every key under the folder that holds keys starting with prefix, unsorted. (The prefix's last
   * part may be a partial segment: only its whole folders narrow the walk.) Synchronous, so that
   * no write of this process interleaves with it.
   */
  keysUnder(bucket: string, prefix: string): string[] {
    const folders = prefix.split('/');
    folders.pop();
    const bucketFolder = this.bucketFolder(bucket);
    const start = join(bucketFolder, ...folders.flatMap(segmentParts));
    const keys: string[] = [];
    const walk = (folder: string, parts: string[]): void => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(folder, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(folder, entry.name);
        // Entry types from the listing itself: a stat per file made a walk of 100,000 objects slow.
        const isFolder = entry.isSymbolicLink() ? statSync(path).isDirectory() : entry.isDirectory();
        if (isFolder) {
          if (!(parts.length === 0 && entry.name.startsWith(SUFFIX))) walk(path, [...parts, entry.name]);
        } else if (entry.name.endsWith(OBJECT_SUFFIX)) {
          keys.push(keyOfParts([...parts, entry.name.slice(0, -OBJECT_SUFFIX.length)]));
        }
      }
    };
    walk(start, folders.flatMap(segmentParts));
    return keys;
  }
}
