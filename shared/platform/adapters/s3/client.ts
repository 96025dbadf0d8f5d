import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../config.js';

/** The S3 client of one process, from HOTSPOTS_S3_* (config.s3). */
export function createS3Client(settings: Config['s3']): S3Client {
  return new S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // The SDK sets no socket timeout by default (and only warns past requestTimeout unless told to
    // throw): a hung S3 endpoint held an upload until the Lambda timeout (measured, chaos suite).
    // Two attempts of at most requestTimeoutMs each keep that failure a fast 503.
    requestHandler: {
      connectionTimeout: 3000,
      requestTimeout: settings.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    maxAttempts: 2,
  });
}
