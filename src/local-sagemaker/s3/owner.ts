// The account that owns every bucket and object of the local S3, as S3 names an owner.
export const OWNER = {
  ID: '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a',
  DisplayName: 'local-s3',
} as const;
