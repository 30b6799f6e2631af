// The local target's S3: an s3rver (a real S3 server) with its data under .pipeline/local/s3.
import { copyFile, mkdir } from 'node:fs/promises';
import S3rver from 's3rver';
import type { StoredObjects } from './s3-transfer.js';

export interface LocalS3 {
  endpoint: string;
  /** Its objects where they are stored, for the local SageMaker in the same process. */
  objects: StoredObjects;
  close(): Promise<void>;
}

export async function startLocalS3(directory: string, port = 0): Promise<LocalS3> {
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true });
  const address = (await server.run()) as { port: number };
  const { store } = server;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    objects: {
      async list(bucket, prefix, startAfter) {
        const page = await store.listObjects(bucket, { prefix, startAfter, maxKeys: 1000 });
        return { keys: page.objects.map((object) => object.key), truncated: page.isTruncated };
      },
      copyTo: (bucket, key, target) => copyFile(store.getResourcePath(bucket, key, 'object'), target),
    },
    close: () => server.close(),
  };
}
