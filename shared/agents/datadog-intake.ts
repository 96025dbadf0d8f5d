import { unsupportedMediaType } from '../platform/errors.js';
import { type AgentRequest, checkBody } from './agent-upload.js';
import { type DatadogLayout, parseDatadogUpload } from './datadog-profiling.js';
import { isMultipart, mediaTypeOf, parseMultipart } from './multipart.js';
import { type StoredUpload, type StoreUploadDeps, storeAgentUpload } from './store-upload.js';

/**
 * `POST /profiling/v1/input` (the Datadog agent's profiling intake, as dd-trace-go uses it):
 * parse and validate the whole multipart upload, then store it (shared/agents/store-upload.ts).
 * Any invalid part refuses the request with a 4xx before a single object is written.
 */
export interface DatadogIntakeDeps extends StoreUploadDeps {
  maxBodyBytes: number;
  limits: {
    maxParts: number;
    maxPartBytes: number;
    maxTags: number;
    maxEndpointCounts: number;
    maxDecompressedBytes: number;
  };
}

export async function ingestDatadogProfiles(
  deps: DatadogIntakeDeps,
  request: AgentRequest,
): Promise<StoredUpload & { layout: DatadogLayout; service: string }> {
  if (!isMultipart(request.contentType)) {
    throw unsupportedMediaType(
      `content type ${mediaTypeOf(request.contentType) ?? '(none)'} is not accepted: the profiling intake takes multipart/form-data`,
    );
  }
  checkBody(request, deps.maxBodyBytes);
  const parts = await parseMultipart(request.body, request.contentType as string, deps.limits);
  const upload = parseDatadogUpload(parts, deps.limits);
  const stored = await storeAgentUpload(deps, request.tenant, 'datadog', upload);
  return { ...stored, layout: upload.layout, service: upload.service };
}
