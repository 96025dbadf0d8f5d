import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { notFound, unavailable } from '../../errors.js';
import type { RawPayloadStore } from '../../ports.js';

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

export function createS3RawPayloadStore(client: S3Client, bucket: string): RawPayloadStore {
  return {
    async put(key, bytes, contentType) {
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType }));
      } catch (error) {
        throw unavailable(`storing ${key} in S3 failed: ${(error as Error).message}`, error);
      }
    },
    async get(key) {
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!answer.Body) throw notFound(`S3 object ${key} has no body`);
        return await answer.Body.transformToByteArray();
      } catch (error) {
        if (isMissing(error)) throw notFound(`S3 object ${key} does not exist`);
        if ((error as { code?: string }).code === 'not_found') throw error;
        throw unavailable(`reading ${key} from S3 failed: ${(error as Error).message}`, error);
      }
    },
    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        throw unavailable(`S3 bucket ${bucket} is not reachable: ${(error as Error).message}`, error);
      }
    },
  };
}
