import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { agentTenantOf } from '../../shared/agents/agent-auth.js';
import { bearerFromBasic } from '../../shared/agents/basic-auth.js';
import { ingestPyroscopeProfile } from '../../shared/agents/pyroscope.js';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse, queryRecord } from '../../shared/platform/lambda-http.js';

/**
 * POST /ingest and /k/{key}/ingest — Pyroscope's ingest API. Pyroscope SDKs treat only 200 as
 * success (pyroscope-go upstream/remote), so the answer is 200, not 202.
 */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = agentTenantOf(
      deps.auth,
      { trustedTenant: deps.config.agentTrustedTenant },
      bearerFromBasic(request.headers),
      request.pathParameters.key,
    );
    const { limits, agentLimits } = deps.config;
    const stored = await ingestPyroscopeProfile(
      {
        rawStore: deps.rawStore,
        publisher: deps.publisher,
        profilesTopic: deps.config.kafka.profilesTopic,
        rawBucket: deps.config.s3.bucket,
        now: () => new Date(),
        maxBodyBytes: limits.maxBodyBytes,
        limits: agentLimits,
      },
      {
        tenant,
        query: queryRecord(request.query),
        contentType: request.headers['content-type'],
        body: request.body,
        bodyIsBinary: event.isBase64Encoded === true,
      },
    );
    const [profile] = stored.profiles;
    deps.logger.info('pyroscope profile stored', { tenant, service: stored.service, profile_id: profile?.profileId });
    return jsonResponse(200, { profile_id: profile?.profileId, upload_id: stored.uploadId });
  });
};
