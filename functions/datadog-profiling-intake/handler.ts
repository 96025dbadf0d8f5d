import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { agentTenantOf } from '../../shared/agents/agent-auth.js';
import { ingestDatadogProfiles } from '../../shared/agents/datadog-intake.js';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse } from '../../shared/platform/lambda-http.js';

/**
 * POST /profiling/v1/input and /k/{key}/profiling/v1/input — the Datadog agent's profiling intake
 * as dd-trace-go posts to it. Any 2xx is success for dd-trace-go (profiler/upload.go): 202 says
 * the attachments are stored and queued.
 */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = agentTenantOf(
      deps.auth,
      { trustedTenant: deps.config.agentTrustedTenant },
      request.headers,
      request.pathParameters.key,
    );
    const { limits, agentLimits } = deps.config;
    const stored = await ingestDatadogProfiles(
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
        contentType: request.headers['content-type'],
        body: request.body,
        bodyIsBinary: event.isBase64Encoded === true,
      },
    );
    deps.logger.info('datadog profiling upload stored', {
      tenant,
      service: stored.service,
      layout: stored.layout,
      upload_id: stored.uploadId,
      profiles: stored.profiles.length,
    });
    return jsonResponse(202, {
      upload_id: stored.uploadId,
      profiles: stored.profiles.map((p) => ({ profile_id: p.profileId, attachment: p.name })),
      stored_raw: stored.raw.map((r) => r.name),
    });
  });
};
