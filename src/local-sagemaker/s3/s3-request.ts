// A request to the local S3 as its operations see it, and their answers.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { MultipartUploads } from './multipart-uploads.js';
import type { ObjectStore } from './object-store.js';

export interface S3Request {
  method: string;
  /** '' for the service itself (ListBuckets). */
  bucket: string;
  /** '' for a request to the bucket. */
  key: string;
  query: URLSearchParams;
  /** The request itself: its headers, and its body as a stream. */
  raw: IncomingMessage;
}

export interface S3Context {
  store: ObjectStore;
  uploads: MultipartUploads;
  /** Conditional writes in progress, by bucket/key (see object-operations.ts). */
  writesInProgress: Map<string, number>;
}

export type S3Answer =
  | {
      status: number;
      headers?: Record<string, string | number>;
      body?: string | Readable;
    }
  | {
      /**
       * S3's answer to work that takes longer than a client waits for a first byte: 200 at once,
       * white space until the work is done, then its document (or an error, still under 200).
       */
      whileWorking: Promise<string>;
    };

export const noContent: S3Answer = { status: 204 };
export const xmlAnswer = (body: string, status = 200): S3Answer => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body,
});
