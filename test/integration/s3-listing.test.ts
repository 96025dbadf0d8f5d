import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createS3Client } from '../../shared/platform/adapters/s3/client.js';
import { testConfig } from '../support/services.js';

/**
 * The local S3 API server pages listings past 1,000 keys with continuation tokens it encrypts
 * with DES; the tests that check "nothing was stored" list prefixes that grow past a page.
 */
describe('the local S3 API server', () => {
  it('lists a prefix of more than one page', async () => {
    const config = testConfig();
    const s3 = createS3Client(config.s3);
    const prefix = `test/listing/${randomUUID()}/`;
    const keys = Array.from({ length: 1_001 }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket: config.s3.bucket, Key, Body: 'x' }))),
      );
    }

    const listed: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: config.s3.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      listed.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token !== undefined);
    s3.destroy();

    expect(listed.sort()).toEqual(keys);
  });
});
