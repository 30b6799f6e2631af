// What the last complete upload of a channel left, in a few bytes: the stamp of the local files
// it sent (their names and stats) and a digest of the objects it left under the channel's prefix.
// When both are as they were (no file touched, the prefix listing exactly as it was left), the
// channel needs nothing sent, deleted, hashed or compared, and neither the upload manifest nor
// the file-hash cache (at 100,000 files, 18 MB and 20 MB of JSON) is read.
import { sha256Hex } from '../shared/canonical-json.js';
import type { RemoteObject } from './remote-listing.js';

export interface ChannelReceipt {
  /** FileHasher's stamp of the channel's files: their keys and stats. */
  localStamp: string;
  /** remoteDigestOf the objects under the prefix when the upload ended. */
  remoteDigest: string;
  files: number;
  bytes: number;
  contentHash: string;
  /** Every 1,000th key left (remote-listing's rangeBounds): a drift check lists the ranges at once. */
  rangeBounds?: string[];
}

export type Receipts = Record<string, ChannelReceipt>;

/** Where the receipts of an upload manifest's channels are kept: beside it. */
export const receiptsFileOf = (manifestFile: string): string =>
  manifestFile.replace(/\.json$/, '.receipts.json');

/** A receipt's key: the bucket, the channel's prefix and the local folder it mirrors. */
export const receiptId = (bucket: string, prefix: string, root: string): string =>
  `${bucket}\0${prefix}\0${root}`;

/** Of each object's key, ETag and size, whatever order they come in. */
export function remoteDigestOf(objects: Iterable<RemoteObject>): string {
  const lines: string[] = [];
  for (const { key, etag, size } of objects) lines.push(`${key}\0${etag}\0${size}`);
  return sha256Hex(lines.sort().join('\n'));
}
