import { badRequest, payloadTooLarge, unsupportedMediaType } from '../platform/errors.js';
import type { Attachment } from './attachment.js';

/**
 * One upload of an agent, as every intake (Datadog, Pyroscope) reduces it: who sent it, over which
 * window, and its attachments. Validated completely before anything is stored.
 */
export interface AgentUpload {
  service: string;
  env: string;
  version: string;
  tags: Record<string, string>;
  /** Unix seconds, as the agent declared them. */
  start: number | null;
  end: number | null;
  attachments: Attachment[];
  /** Hits per endpoint over the window (Datadog `endpoint_counts`). */
  endpointCounts?: Record<string, number>;
}

const MAX_NAME = 200;
const MAX_TAG_TEXT = 1024;
const controlCharacters = /[\u0000-\u001f\u007f]/;

/** service / env / version: printable text only (they reach S3 metadata, logs and the UI). */
export function checkName(value: string, what: string, required: boolean): string {
  const text = value.trim();
  if (required && text === '') throw badRequest(`${what} is required`);
  if (text.length > MAX_NAME) throw badRequest(`${what} is longer than ${MAX_NAME} characters`);
  if (controlCharacters.test(text)) throw badRequest(`${what} contains control characters`);
  return text;
}

export function checkTag(key: string, value: string, what: string): void {
  if (key === '') throw badRequest(`${what} has an empty key`);
  if (key.length + value.length > MAX_TAG_TEXT) {
    throw badRequest(`${what} ${JSON.stringify(key.slice(0, 64))} is longer than ${MAX_TAG_TEXT} characters`);
  }
  if (controlCharacters.test(key) || controlCharacters.test(value)) {
    throw badRequest(`${what} ${JSON.stringify(key.slice(0, 64))} contains control characters`);
  }
}

export function checkAttachmentSet(attachments: readonly Attachment[]): void {
  if (attachments.length === 0) throw badRequest('the upload carries no attachment');
  const seen = new Set<string>();
  for (const { name } of attachments) {
    if (seen.has(name)) throw badRequest(`attachment ${name} appears twice`);
    seen.add(name);
  }
  if (!attachments.some((a) => a.kind === 'pprof')) {
    throw badRequest('the upload carries no pprof attachment');
  }
}

/** An agent's HTTP request, as the handlers hand it over. */
export interface AgentRequest {
  tenant: string;
  contentType: string | undefined;
  body: Uint8Array;
  /**
   * Whether the gateway passed the body as exact bytes (API Gateway's isBase64Encoded). Gateways
   * hand text media types (curl's default application/x-www-form-urlencoded, text/*, JSON) over as
   * decoded text, which corrupts binary profiles beyond repair: such a body is refused, not stored.
   */
  bodyIsBinary: boolean;
}

export function checkBody(request: AgentRequest, maxBodyBytes: number): void {
  if (request.body.length > maxBodyBytes) {
    throw payloadTooLarge(`request body is ${request.body.length} bytes, above the limit of ${maxBodyBytes}`);
  }
  if (request.body.length === 0) throw badRequest('request body is empty');
  if (!request.bodyIsBinary) {
    throw unsupportedMediaType(
      'the body reached the function as text, which corrupts binary profiles: send it as multipart/form-data or application/octet-stream',
    );
  }
}
