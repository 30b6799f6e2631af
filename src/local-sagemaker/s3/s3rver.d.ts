// The part of s3rver's API this project uses (the package ships no types).
declare module 's3rver' {
  interface S3rverOptions {
    address?: string;
    port?: number;
    directory: string;
    silent?: boolean;
    configureBuckets?: { name: string }[];
  }
  /** An object as the store lists it (its content is not read by a listing). */
  interface StoredObject {
    key: string;
  }
  /** s3rver's file-system store: where its server keeps buckets and objects. */
  interface FilesystemStore {
    listObjects(
      bucket: string,
      options: { prefix?: string; startAfter?: string; maxKeys?: number },
    ): Promise<{ objects: StoredObject[]; isTruncated: boolean }>;
    /** The file holding an object's bytes (resource 'object'). */
    getResourcePath(bucket: string, key: string, resource: 'object'): string;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    readonly store: FilesystemStore;
    /** Koa's middleware list: one put first runs before every route. */
    readonly middleware: unknown[];
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}

// s3rver's account registry: its authentication accepts only the key ids registered here.
declare module 's3rver/lib/models/account.js' {
  const account: { DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void } };
  export default account;
}
