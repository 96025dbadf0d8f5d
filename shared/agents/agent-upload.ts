import { badRequest } from '../errors.js';
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
  if (!attachments.some((a) => a.profileType !== undefined)) {
    throw badRequest('the upload carries no pprof attachment');
  }
}
