import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse, queryRecord } from '../../shared/platform/lambda-http.js';
import { ingestProfile } from '../../shared/profiles/ingest-profile.js';

/** POST /v1/profiles — one pprof (raw, gzip or zstd) → 202 {"profile_id"}. */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = deps.auth.tenantOf(request.headers);
    const { profileId } = await ingestProfile(
      {
        rawStore: deps.rawStore,
        publisher: deps.publisher,
        profilesTopic: deps.config.kafka.profilesTopic,
        rawBucket: deps.config.s3.bucket,
        maxBodyBytes: deps.config.limits.maxBodyBytes,
        now: () => new Date(),
        newId: randomUUID,
      },
      { tenant, query: queryRecord(request.query), contentType: request.headers['content-type'], body: request.body },
    );
    return jsonResponse(202, { profile_id: profileId });
  });
};
