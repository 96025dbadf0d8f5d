import { badRequest, payloadTooLarge } from '../platform/errors.js';
import type { EnvelopePublisher, RawPayloadStore } from '../platform/ports.js';
import { encodeSpanEnvelope, type SpanEnvelope } from './envelope.js';
import { type BodyEncoding, decodeSpanPayload, rawSuffix, type SpanFormat } from './payload.js';
import type { SpanLimits } from './span.js';

/**
 * The trace intakes (Datadog `/v0.4|v0.5/traces`, OTLP `/v1/traces`): decode the body once to
 * validate it and answer 4xx with the reason, then store it unchanged in S3 and publish an
 * envelope. Unlike pprof uploads, traces are decoded here: tracers learn nothing from a 202 about
 * a payload that later turns out broken, and decoding spans is cheap next to storing them.
 */
export interface IngestTracesDeps {
  rawStore: RawPayloadStore;
  publisher: EnvelopePublisher;
  spansTopic: string;
  rawBucket: string;
  limits: SpanLimits & { maxBodyBytes: number; maxDecompressedBytes: number };
  now: () => Date;
  newId: () => string;
}

export interface IngestTracesRequest {
  tenant: string;
  format: SpanFormat;
  encoding: BodyEncoding;
  body: Uint8Array;
}

export interface IngestTracesResult {
  /** null when nothing was stored (no usable span, e.g. the tracer's empty `0x90` at start). */
  batchId: string | null;
  accepted: number;
  rejected: number;
  rejectionMessage: string;
}

/** raw/spans/<tenant>/<yyyy>/<mm>/<dd>/<batch id>.<msgpack|v05.msgpack|otlp.pb|otlp.json>[.gz] (UTC receive date). */
export function rawSpansKey(
  tenant: string,
  receivedAt: Date,
  batchId: string,
  format: SpanFormat,
  encoding: BodyEncoding,
): string {
  const day = receivedAt.toISOString().slice(0, 10).replaceAll('-', '/');
  return `raw/spans/${tenant}/${day}/${batchId}${rawSuffix(format, encoding)}`;
}

const storedContentType: Record<SpanFormat, string> = {
  'datadog-v0.4': 'application/msgpack',
  'datadog-v0.5': 'application/msgpack',
  'otlp-protobuf': 'application/x-protobuf',
  'otlp-json': 'application/json',
};

export async function ingestTraces(deps: IngestTracesDeps, request: IngestTracesRequest): Promise<IngestTracesResult> {
  const { body } = request;
  if (body.length > deps.limits.maxBodyBytes) {
    throw payloadTooLarge(`request body is ${body.length} bytes, above the limit of ${deps.limits.maxBodyBytes}`);
  }
  if (body.length === 0 && request.format !== 'otlp-protobuf') {
    // An empty protobuf message is a valid, empty request; no other format has an empty form.
    throw badRequest('request body is empty');
  }
  const decoded = decodeSpanPayload(body, request.format, request.encoding, deps.limits);
  const result = {
    accepted: decoded.spans.length,
    rejected: decoded.rejected,
    rejectionMessage: decoded.rejectionMessage,
  };
  if (decoded.spans.length === 0) return { batchId: null, ...result };

  const receivedAt = deps.now();
  const batchId = deps.newId();
  const key = rawSpansKey(request.tenant, receivedAt, batchId, request.format, request.encoding);
  await deps.rawStore.put(key, body, storedContentType[request.format]);
  const envelope: SpanEnvelope = {
    v: 1,
    kind: 'spans',
    batch_id: batchId,
    tenant: request.tenant,
    format: request.format,
    encoding: request.encoding,
    received_at: receivedAt.toISOString(),
    s3: { bucket: deps.rawBucket, key },
    bytes: body.length,
    spans: decoded.spans.length,
  };
  // Only after the raw bytes are durable: an envelope must never point at a missing object.
  await deps.publisher.publish(deps.spansTopic, batchId, encodeSpanEnvelope(envelope));
  return { batchId, ...result };
}
