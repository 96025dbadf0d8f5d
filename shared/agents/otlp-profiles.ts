import { createHash } from 'node:crypto';
import { decompressBounded, sniffEncoding } from '../platform/compression.js';
import { badRequest, HotspotsError, payloadTooLarge, unsupportedMediaType } from '../platform/errors.js';
import { putReceipt, putUploadReceipt } from '../platform/upload-receipts.js';
import { encodeEnvelope, type ProfileEnvelope } from '../profiles/envelope.js';
import {
  type OtlpProfilesRequest as DecodedRequest,
  decodeProfilesRequest,
  type OtlpBodyFormat,
  type ProfilePosition,
  positionName,
  profileAt,
  profilePositions,
} from '../profiles/otlp/otlp-request.js';
import { ExportProfilesServiceResponse } from '../profiles/otlp/otlp-schema.js';
import { resourceIdentity, sampleServices } from '../profiles/otlp/to-pprof.js';
import { checkName } from './agent-upload.js';
import { mediaTypeOf } from './multipart.js';
import { profileIdOf, rawAttachmentKey, type StoreUploadDeps, uuidFromDigest } from './store-upload.js';

/**
 * OTLP/HTTP profiles (`POST /v1development/profiles`): an ExportProfilesServiceRequest, binary
 * protobuf or OTLP/JSON, optionally gzip. The request is decoded here to refuse a malformed one
 * with its reason (400) and to learn which profiles it holds and for which services; then it is
 * stored once, unchanged, and one envelope per profile points at it with the profile's position.
 * The consumer converts each profile to a pprof (shared/profiles/otlp/to-pprof.ts), so a profile
 * with bad dictionary references is dead-lettered alone, with its reason, under its own id.
 *
 * Ids follow from the content (tenant and body bytes): the Collector retries a request after a
 * timeout or 5xx with the same bytes, gets the same ids, and the consumer skips what it committed.
 * The profile id of each contained profile is derived from the upload id and its position.
 */
export interface OtlpProfilesIngestDeps extends StoreUploadDeps {
  /** Largest body as received (413 above); the OTLP specification suggests 64 MiB. */
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  /** Profiles one request may hold (each is an envelope and a receipt): 413 above. */
  maxProfiles: number;
}

export interface OtlpProfilesRequest {
  tenant: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** The `otlp-profiles-development-version` header the Collector sends (absent means 1). */
  developmentVersion?: string | undefined;
  body: Uint8Array;
}

export interface OtlpProfilesResult {
  uploadId: string | null;
  format: OtlpBodyFormat;
  profiles: { profileId: string; position: string; service: string }[];
  rejected: number;
  rejectionMessage: string;
}

export function otlpBodyFormat(contentType: string | undefined): OtlpBodyFormat {
  const media = mediaTypeOf(contentType) ?? '';
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  throw unsupportedMediaType(
    `content type ${media || '(none)'} is not accepted on /v1development/profiles: send application/x-protobuf or application/json`,
  );
}

function checkContentEncoding(contentEncoding: string | undefined, body: Uint8Array): void {
  const value = contentEncoding?.trim().toLowerCase() ?? '';
  if (value === '' || value === 'identity') return;
  if (value !== 'gzip') {
    throw unsupportedMediaType(
      `content encoding ${JSON.stringify(value.slice(0, 64))} is not accepted: use gzip or none`,
    );
  }
  if (sniffEncoding(body) !== 'gzip') throw badRequest('Content-Encoding is gzip but the body is not gzip');
}

function uploadIdOf(tenant: string, format: OtlpBodyFormat, body: Uint8Array): string {
  return uuidFromDigest(
    createHash('sha256')
      .update(JSON.stringify([tenant, 'otlp-profiles', format, body.length]))
      .update(body)
      .digest(),
  );
}

/** ExportProfilesServiceResponse in the request's encoding; partial_success only when profiles were refused. */
export function encodeProfilesResponse(
  rejected: number,
  message: string,
  format: OtlpBodyFormat,
): { body: Buffer; contentType: string } {
  if (format === 'json') {
    const body =
      rejected === 0 ? {} : { partialSuccess: { rejectedProfiles: String(rejected), errorMessage: message } };
    return { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
  }
  const payload = rejected === 0 ? {} : { partialSuccess: { rejectedProfiles: rejected, errorMessage: message } };
  const bytes = ExportProfilesServiceResponse.encode(ExportProfilesServiceResponse.fromObject(payload)).finish();
  return { body: Buffer.from(bytes), contentType: 'application/x-protobuf' };
}

const UNKNOWN_SERVICE = 'unknown_service';

/** One profile to store: a position, split by sample-level service.name when its resource has none. */
interface Part {
  position: ProfilePosition;
  /** The sample-level service.name whose samples this part holds; absent: all samples. */
  service?: string;
  /** Its name in the upload's status (and what its profile id derives from). */
  name: string;
}

/** The resource's service.name; '' when it has none, or a broken one (refused below, with the reason). */
function resourceServiceOf(request: DecodedRequest, position: ProfilePosition): string {
  try {
    return resourceIdentity(request, position.resource).service;
  } catch (error) {
    if (error instanceof HotspotsError) return '';
    throw error;
  }
}
const RECEIPT_CONCURRENCY = 16;
/** The profiles schema version of the vendored protos (pdata's ProfilesDevelopmentVersion). */
const DEVELOPMENT_VERSION = '1';

function checkDevelopmentVersion(version: string | undefined): void {
  // Exact, as the Collector's receiver checks it: "1,1" (a header repeated and joined) is refused too.
  if (version === undefined || version === DEVELOPMENT_VERSION) return;
  throw badRequest(
    `otlp-profiles-development-version ${JSON.stringify(version.slice(0, 32))} is not supported: Hotspots reads version ${DEVELOPMENT_VERSION} (opentelemetry-proto v1.11.0)`,
  );
}

export async function ingestOtlpProfiles(
  deps: OtlpProfilesIngestDeps,
  request: OtlpProfilesRequest,
): Promise<OtlpProfilesResult> {
  const format = otlpBodyFormat(request.contentType);
  checkDevelopmentVersion(request.developmentVersion);
  const { body } = request;
  if (body.length > deps.maxBodyBytes) {
    throw payloadTooLarge(
      `request body is ${body.length} bytes, above the limit of ${deps.maxBodyBytes} (HOTSPOTS_OTLP_MAX_BODY_BYTES)`,
    );
  }
  checkContentEncoding(request.contentEncoding, body);
  const decompressed = sniffEncoding(body) === 'gzip' ? decompressBounded(body, deps.maxDecompressedBytes).data : body;
  if (decompressed.length > deps.maxDecompressedBytes) {
    throw payloadTooLarge(`request is ${decompressed.length} bytes, above the limit of ${deps.maxDecompressedBytes}`);
  }
  const decoded = decodeProfilesRequest(decompressed, format);

  // Resource identities are checked here: a service name the rest of Hotspots cannot carry refuses
  // that resource's profiles (partial success), not the request.
  // Empty profiles (no sample) are skipped: nothing to count, nothing to store. A profile whose
  // resource names no service but whose samples do (the eBPF profiler's) is split by service.
  const parts: Part[] = [];
  for (const position of profilePositions(decoded)) {
    if ((profileAt(decoded, position)?.samples.length ?? 0) === 0) continue;
    const services = resourceServiceOf(decoded, position) === '' ? sampleServices(decoded, position) : [''];
    if (services.length === 1 && services[0] === '') parts.push({ position, name: positionName(position) });
    else {
      for (const service of services) {
        parts.push({ position, service, name: `${positionName(position)}[service.name=${JSON.stringify(service)}]` });
      }
    }
  }
  if (parts.length > deps.maxProfiles) {
    throw payloadTooLarge(
      `request holds ${parts.length} profiles, above the limit of ${deps.maxProfiles} (HOTSPOTS_OTLP_MAX_PROFILES_PER_REQUEST)`,
    );
  }
  // Identities are checked here: a service name the rest of Hotspots cannot carry refuses that
  // profile (partial success), not the request.
  const accepted: (Part & { serviceName: string; env: string; version: string })[] = [];
  const reasons: string[] = [];
  let rejected = 0;
  for (const part of parts) {
    try {
      const identity = resourceIdentity(decoded, part.position.resource);
      const service = part.service ?? identity.service;
      accepted.push({
        ...part,
        serviceName: checkName(service, 'service.name', false) || UNKNOWN_SERVICE,
        env: checkName(identity.env, 'resource deployment.environment', false),
        version: checkName(identity.version, 'resource service.version', false),
      });
    } catch (error) {
      if (!(error instanceof HotspotsError)) throw error;
      rejected += 1;
      if (reasons.length < 3) reasons.push(`${part.name}: ${(error as Error).message}`);
    }
  }
  const more = rejected > reasons.length ? `; and ${rejected - reasons.length} more` : '';
  const rejectionMessage =
    rejected === 0 ? '' : `${rejected} of ${parts.length} profiles refused: ${reasons.join('; ')}${more}`;
  if (accepted.length === 0) return { uploadId: null, format, profiles: [], rejected, rejectionMessage };

  const receivedAt = deps.now();
  const uploadId = uploadIdOf(request.tenant, format, body);
  const gzip = sniffEncoding(body) === 'gzip';
  const key = rawAttachmentKey(
    request.tenant,
    receivedAt,
    uploadId,
    `request.otlp.${format === 'json' ? 'json' : 'pb'}${gzip ? '.gz' : ''}`,
  );
  await deps.rawStore.put(key, body, format === 'json' ? 'application/json' : 'application/x-protobuf');
  const profiles = accepted.map((a) => ({ ...a, profileId: profileIdOf(uploadId, a.name) }));
  for (let i = 0; i < profiles.length; i += RECEIPT_CONCURRENCY) {
    await Promise.all(
      profiles.slice(i, i + RECEIPT_CONCURRENCY).map((p) =>
        putReceipt(deps.rawStore, {
          v: 1,
          tenant: request.tenant,
          profile_id: p.profileId,
          service: p.serviceName,
          accepted_at: receivedAt.toISOString(),
          upload_id: uploadId,
        }),
      ),
    );
  }
  await putUploadReceipt(deps.rawStore, {
    v: 1,
    tenant: request.tenant,
    upload_id: uploadId,
    service: [...new Set(profiles.map((p) => p.serviceName))].join(','),
    accepted_at: receivedAt.toISOString(),
    profiles: profiles.map((p) => ({ profile_id: p.profileId, attachment: p.name })),
  });
  // Only after the raw request and the receipts are durable: no envelope points at a missing object.
  for (const p of profiles) {
    const envelope: ProfileEnvelope = {
      v: 1,
      kind: 'profile',
      profile_id: p.profileId,
      tenant: request.tenant,
      service: p.serviceName,
      env: p.env,
      version: p.version,
      tags: {},
      start: null,
      end: null,
      received_at: receivedAt.toISOString(),
      s3: { bucket: deps.rawBucket, key },
      bytes: body.length,
      encoding: gzip ? 'gzip' : 'identity',
      format: 'otlp-profiles',
      otlp: { body: format, ...p.position, ...(p.service === undefined ? {} : { service: p.service }) },
      upload_id: uploadId,
    };
    // Keyed by the upload: the envelopes of one request land on one partition, one after the
    // other, so the consumer decodes the request once for all its profiles (otlp-profile-reader.ts).
    await deps.publisher.publish(deps.profilesTopic, uploadId, encodeEnvelope(envelope));
  }
  return {
    uploadId,
    format,
    profiles: profiles.map((p) => ({ profileId: p.profileId, position: p.name, service: p.serviceName })),
    rejected,
    rejectionMessage,
  };
}
