import { randomUUID } from 'node:crypto';
import { ingestDatadogProfiles } from '../agents/datadog-intake.js';
import { encodeProfilesResponse, ingestOtlpProfiles } from '../agents/otlp-profiles.js';
import { ingestPyroscopeProfile } from '../agents/pyroscope.js';
import type { KafkaEventRecord } from '../platform/kafka-event.js';
import { type HttpRequest, queryRecord } from '../platform/lambda-http.js';
import { ingestProfile } from '../profiles/ingest-profile.js';
import { processProfileRecords } from '../profiles/process-profiles.js';
import { listEndpoints, listServices } from '../query/catalog.js';
import { changes, parseChangesQuery } from '../query/changes.js';
import { endpointCpu, parseEndpointCpuQuery } from '../query/endpoint-cpu.js';
import { endpointRequests, parseEndpointRequestsQuery } from '../query/endpoint-requests.js';
import { flamegraph, parseFlamegraphQuery } from '../query/flamegraph.js';
import { flamegraphDiff, parseDiffQuery } from '../query/flamegraph-diff.js';
import { ingestErrors } from '../query/ingest-errors.js';
import { parseMeasure } from '../query/measures.js';
import { profileStatus } from '../query/profile-status.js';
import { callQuerier } from '../query/pyroscope/querier-service.js';
import { singleValuedParams } from '../query/query-params.js';
import { spanHotspots } from '../query/span-hotspots.js';
import { parseSpanIdParam, parseTraceId } from '../query/sql/selector-params.js';
import { parseTimeseriesQuery, timeseries } from '../query/timeseries.js';
import { traceView } from '../query/trace-view.js';
import { ingestTraces } from '../spans/ingest-traces.js';
import type { BodyEncoding, SpanFormat } from '../spans/payload.js';
import { processSpanRecords } from '../spans/process-spans.js';
import type { Deps } from './deps.js';
import { checkHealth } from './health.js';

/**
 * Every use case, wired to this container's dependencies and configured limits: what a handler
 * calls. Each takes the request's tenant (already authenticated) and its input as parsed off HTTP.
 */
export function createUseCases(deps: Deps) {
  const { config, db, rawStore, publisher, logger } = deps;
  const { limits } = config;
  const now = () => new Date();
  const profileUploads = {
    rawStore,
    publisher,
    profilesTopic: config.kafka.profilesTopic,
    rawBucket: config.s3.bucket,
    now,
  };
  const agentUploads = {
    ...profileUploads,
    maxBodyBytes: limits.maxBodyBytes,
    limits: { ...config.agentLimits, maxDecompressedBytes: limits.maxDecompressedBytes },
  };
  const traceUploads = {
    rawStore,
    publisher,
    spansTopic: config.kafka.spansTopic,
    rawBucket: config.s3.bucket,
    limits: { ...config.spanLimits, ...limits },
    now,
    newId: randomUUID,
  };
  const deadLetters = {
    deadLetterPrefix: config.deadLetterPrefix,
    deadLetterTopic: { publisher, name: config.kafka.deadLetterTopic },
    retryBudget: deps.retryBudget,
  };
  const flamegraphLimits = {
    maxNodes: limits.flamegraphMaxNodes,
    maxStacks: limits.maxStacks,
    maxRangeSeconds: limits.maxQueryRangeSeconds,
    maxRequestSpans: limits.maxRequestSpans,
  };
  const querierLimits = {
    ...config.pyroscopeLimits,
    maxRangeSeconds: limits.maxQueryRangeSeconds,
    maxResultRows: limits.maxResultRows,
    maxNodes: limits.flamegraphMaxNodes,
    maxStacks: limits.maxStacks,
    maxPoints: limits.maxTimeseriesPoints,
    maxSeries: limits.maxTimeseriesSeries,
  };
  const requestLimits = {
    maxRangeSeconds: limits.maxQueryRangeSeconds,
    maxResultRows: limits.maxResultRows,
    maxEndpointRequests: limits.maxEndpointRequests,
    maxTimeseriesPoints: limits.maxTimeseriesPoints,
  };
  const seriesLimits = {
    maxRangeSeconds: limits.maxQueryRangeSeconds,
    maxPoints: limits.maxTimeseriesPoints,
    maxSeries: limits.maxTimeseriesSeries,
  };

  return {
    checkHealth: () => checkHealth(deps),

    ingestProfile: (tenant: string, request: HttpRequest) =>
      ingestProfile(
        {
          ...profileUploads,
          maxBodyBytes: limits.maxBodyBytes,
          maxDecompressedBytes: limits.maxDecompressedBytes,
          newId: randomUUID,
        },
        {
          tenant,
          query: queryRecord(request.query),
          contentType: request.headers['content-type'],
          body: request.body,
          bodyIsBinary: request.bodyIsBinary,
          idempotencyKey: request.headers['idempotency-key'],
        },
      ),
    ingestDatadogProfiles: (tenant: string, request: HttpRequest) =>
      ingestDatadogProfiles(agentUploads, {
        tenant,
        contentType: request.headers['content-type'],
        body: request.body,
        bodyIsBinary: request.bodyIsBinary,
      }),
    ingestPyroscopeProfile: (tenant: string, request: HttpRequest) =>
      ingestPyroscopeProfile(agentUploads, {
        tenant,
        query: queryRecord(request.query),
        contentType: request.headers['content-type'],
        body: request.body,
        bodyIsBinary: request.bodyIsBinary,
      }),
    /** OTLP profiles: what was stored, and the ExportProfilesServiceResponse to answer. */
    async ingestOtlpProfiles(tenant: string, request: HttpRequest) {
      const result = await ingestOtlpProfiles(
        {
          ...profileUploads,
          maxBodyBytes: limits.otlpMaxBodyBytes,
          maxDecompressedBytes: limits.maxDecompressedBytes,
          maxProfiles: limits.otlpMaxProfilesPerRequest,
        },
        {
          tenant,
          contentType: request.headers['content-type'],
          contentEncoding: request.headers['content-encoding'],
          developmentVersion: request.headers['otlp-profiles-development-version'],
          body: request.body,
        },
      );
      return { ...result, answer: encodeProfilesResponse(result.rejected, result.rejectionMessage, result.format) };
    },
    ingestTraces: (tenant: string, format: SpanFormat, encoding: BodyEncoding, body: Uint8Array) =>
      ingestTraces(traceUploads, { tenant, format, encoding, body }),

    processProfileRecords: (records: readonly KafkaEventRecord[]) =>
      processProfileRecords(
        {
          rawStore,
          db,
          logger,
          limits,
          labelMappingFor: deps.labelMappingFor,
          decoder: deps.profileDecoder,
          insertedIds: deps.insertedIds,
          insertChunkBytes: config.consumer.insertChunkBytes,
          prefetch: config.consumer.prefetch,
          ...deadLetters,
        },
        records,
      ),
    processSpanRecords: (records: readonly KafkaEventRecord[]) =>
      processSpanRecords(
        {
          rawStore,
          db,
          logger,
          limits: { ...config.spanLimits, maxDecompressedBytes: limits.maxDecompressedBytes },
          ...deadLetters,
        },
        records,
      ),

    listServices: (tenant: string, query: URLSearchParams) =>
      listServices(db, tenant, singleValuedParams(query), limits.maxQueryRangeSeconds, limits.maxResultRows),
    listEndpoints: (tenant: string, query: URLSearchParams) =>
      listEndpoints(db, tenant, singleValuedParams(query), limits.maxQueryRangeSeconds, limits.maxResultRows),
    endpointCpu: (tenant: string, query: URLSearchParams) =>
      endpointCpu(db, parseEndpointCpuQuery(tenant, query, limits.maxQueryRangeSeconds), limits.maxResultRows),
    endpointRequests: (tenant: string, query: URLSearchParams) =>
      endpointRequests(db, parseEndpointRequestsQuery(tenant, query, requestLimits), requestLimits),
    changes: (tenant: string, query: URLSearchParams) =>
      changes(db, parseChangesQuery(tenant, query, limits.maxQueryRangeSeconds), {
        maxRangeSeconds: limits.maxQueryRangeSeconds,
        maxVersions: limits.changesMaxVersions,
        maxStacks: limits.maxStacks,
        topFunctions: limits.topFunctions,
        minChangePercent: limits.changeMinPercent,
      }),
    timeseries: (tenant: string, query: URLSearchParams) =>
      timeseries(db, parseTimeseriesQuery(tenant, query, seriesLimits), seriesLimits),
    flamegraph: (tenant: string, query: URLSearchParams) =>
      flamegraph(db, parseFlamegraphQuery(tenant, query, flamegraphLimits), flamegraphLimits),
    flamegraphDiff: (tenant: string, query: URLSearchParams) =>
      flamegraphDiff(db, parseDiffQuery(tenant, query, flamegraphLimits), flamegraphLimits),
    spanHotspots: (tenant: string, spanId: string | undefined, query = new URLSearchParams()) =>
      spanHotspots(
        db,
        tenant,
        parseSpanIdParam(spanId, 'span_id'),
        { maxStacks: limits.maxStacks, topFunctions: limits.topFunctions, maxRequestSpans: limits.maxRequestSpans },
        parseMeasure(singleValuedParams(query).get('measure')),
      ),
    traceView: (tenant: string, traceId: string | undefined, query = new URLSearchParams()) =>
      traceView(
        db,
        tenant,
        parseTraceId(traceId),
        limits.maxResultRows,
        limits.maxRequestSpans,
        parseMeasure(singleValuedParams(query).get('measure')),
      ),
    profileStatus: (tenant: string, profileId: string | undefined) =>
      profileStatus({ db, rawStore }, tenant, profileId),
    ingestErrors: (tenant: string, query: URLSearchParams) => ingestErrors(db, tenant, query),
    pyroscopeQuerier: (tenant: string, method: string, request: HttpRequest) =>
      callQuerier(db, tenant, method, request, querierLimits),
  };
}

export type UseCases = ReturnType<typeof createUseCases>;
