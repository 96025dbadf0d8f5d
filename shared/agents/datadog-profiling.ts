import { badRequest, payloadTooLarge } from '../platform/errors.js';
import { parseTime } from '../platform/time.js';
import { type AgentUpload, checkAttachmentSet, checkName, checkTag } from './agent-upload.js';
import { type Attachment, pprofAttachment, rawAttachment } from './attachment.js';
import type { MultipartPart } from './multipart.js';

/**
 * The multipart body dd-trace-go posts to `{agent}/profiling/v1/input`, in its three layouts
 * (read from dd-trace-go's profiler/upload.go at v1.23, v1.29, v1.42 and v2.x):
 *
 *  - v1.42+ ("event"): one file part per attachment, field name = file name (`cpu.pprof`,
 *    `delta-heap.pprof`, `metrics.json`, `go.trace`, …), then a part `event` (event.json):
 *    `{"start", "end", "attachments": [names], "tags_profiler": "k:v,k:v", "family", "version": "4",
 *    "endpoint_counts"?: {resource: hits}, …}`. `start` is UTC, `end` local time with an offset.
 *  - v1.29–1.41 ("v3"): fields `version=3`, `family`, `start`, `end`, repeated `tags[]`; file parts
 *    `data[<file name>]`.
 *  - v1.23–1.28 ("legacy"): fields `format=pprof`, `runtime`, `recording-start`, `recording-end`,
 *    repeated `tags[]`, `types[<i>]` (the sample types, e.g. `samples,cpu`); file parts `data[<i>]`.
 *
 * Service, env and version come from the tags (`service:`, `env:`, `version:`); the agent adds
 * nothing to the URL.
 */
export interface DatadogLimits {
  maxTags: number;
  maxEndpointCounts: number;
  /** What the consumer will inflate a profile to (checked against gzip trailers at once). */
  maxDecompressedBytes: number;
}

export type DatadogLayout = 'event' | 'v3' | 'legacy';

export interface DatadogUpload extends AgentUpload {
  layout: DatadogLayout;
}

const MAX_ENDPOINT_TEXT = 4096;

const text = (part: MultipartPart): string => part.bytes.toString('utf8').trim();

/**
 * Datadog tags (`k:v`, split at the first colon; a bare `k` is a tag with an empty value). When a
 * key repeats the last value wins: dd-trace-go appends its own service/env/version after DD_TAGS.
 */
export function parseDatadogTags(items: readonly string[], maxTags: number): Record<string, string> {
  const tags: Record<string, string> = {};
  const present = items.map((item) => item.trim()).filter((item) => item !== '');
  if (present.length > maxTags)
    throw badRequest(`the upload has ${present.length} tags, above the limit of ${maxTags}`);
  for (const item of present) {
    const colon = item.indexOf(':');
    const key = (colon < 0 ? item : item.slice(0, colon)).trim();
    const value = colon < 0 ? '' : item.slice(colon + 1).trim();
    checkTag(key, value, 'tag');
    tags[key] = value;
  }
  return tags;
}

/** `tags_profiler`: one string, tags joined by commas. */
export function parseTagsProfiler(value: string, maxTags: number): Record<string, string> {
  return parseDatadogTags(value.split(','), maxTags);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseEndpointCounts(value: unknown, maxEntries: number): Record<string, number> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw badRequest('event.endpoint_counts must be an object of endpoint → hits');
  const entries = Object.entries(value);
  if (entries.length > maxEntries) {
    throw payloadTooLarge(`event.endpoint_counts has ${entries.length} entries, above the limit of ${maxEntries}`);
  }
  const counts: Record<string, number> = {};
  for (const [endpoint, hits] of entries) {
    if (endpoint.length > MAX_ENDPOINT_TEXT) {
      throw badRequest(`an endpoint in event.endpoint_counts is longer than ${MAX_ENDPOINT_TEXT} characters`);
    }
    // uint64 on the wire; JSON.parse keeps integers exact up to 2^53, far beyond any hit count.
    if (!Number.isSafeInteger(hits) || (hits as number) < 0) {
      throw badRequest(
        `event.endpoint_counts[${JSON.stringify(endpoint.slice(0, 64))}] must be a non-negative integer`,
      );
    }
    counts[endpoint] = hits as number;
  }
  return counts;
}

function time(value: unknown, what: string): number {
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(`${what} is required (RFC 3339)`);
  return parseTime(value, what);
}

function window(startText: unknown, endText: unknown, names: [string, string]): { start: number; end: number } {
  const start = time(startText, names[0]);
  const end = time(endText, names[1]);
  if (end < start) throw badRequest(`${names[1]} is before ${names[0]}`);
  return { start, end };
}

/** A file name ending in .pprof is a profile; anything else is kept raw. */
function attachmentOf(name: string, bytes: Buffer, limits: DatadogLimits): Attachment {
  return name.endsWith('.pprof')
    ? pprofAttachment(name, bytes, name.slice(0, -'.pprof'.length), limits.maxDecompressedBytes)
    : rawAttachment(name, bytes);
}

function identity(tags: Record<string, string>): Pick<AgentUpload, 'service' | 'env' | 'version'> {
  if (tags.service === undefined) throw badRequest('the tags carry no service: set DD_SERVICE (tag service:<name>)');
  return {
    service: checkName(tags.service, 'tag service', true),
    env: checkName(tags.env ?? '', 'tag env', false),
    version: checkName(tags.version ?? '', 'tag version', false),
  };
}

function single(parts: readonly MultipartPart[], name: string): MultipartPart | undefined {
  const found = parts.filter((p) => p.name === name);
  if (found.length > 1) throw badRequest(`part ${name} appears more than once`);
  return found[0];
}

function parseEventLayout(parts: readonly MultipartPart[], limits: DatadogLimits): DatadogUpload {
  const eventPart = single(parts, 'event') as MultipartPart;
  let event: unknown;
  try {
    event = JSON.parse(eventPart.bytes.toString('utf8'));
  } catch (error) {
    throw badRequest(`event part is not valid JSON: ${(error as Error).message}`, error);
  }
  if (!isRecord(event)) throw badRequest('event part must be a JSON object');
  const { start, end } = window(event.start, event.end, ['event.start', 'event.end']);
  if (typeof event.tags_profiler !== 'string') throw badRequest('event.tags_profiler must be a string of k:v tags');
  const tags = parseTagsProfiler(event.tags_profiler, limits.maxTags);
  const listed = event.attachments;
  if (!Array.isArray(listed) || !listed.every((n) => typeof n === 'string')) {
    throw badRequest('event.attachments must be a list of attachment names');
  }
  const files = parts.filter((p) => p.name !== 'event');
  for (const name of listed as string[]) {
    if (!files.some((p) => p.name === name)) {
      throw badRequest(`event.attachments lists ${JSON.stringify(name.slice(0, 140))}, but no part carries it`);
    }
  }
  const attachments = files.map((p) => attachmentOf(p.name, p.bytes, limits));
  checkAttachmentSet(attachments);
  const endpointCounts = parseEndpointCounts(event.endpoint_counts, limits.maxEndpointCounts);
  return {
    layout: 'event',
    ...identity(tags),
    tags,
    start,
    end,
    attachments,
    ...(endpointCounts ? { endpointCounts } : {}),
  };
}

const bracketed = /^data\[(.+)\]$/;

function parseV3Layout(parts: readonly MultipartPart[], limits: DatadogLimits): DatadogUpload {
  const field = (name: string) => {
    const part = single(parts, name);
    return part === undefined ? undefined : text(part);
  };
  const { start, end } = window(field('start'), field('end'), ['start', 'end']);
  const tags = parseDatadogTags(parts.filter((p) => p.name === 'tags[]').map(text), limits.maxTags);
  const attachments: Attachment[] = [];
  for (const part of parts) {
    const name = bracketed.exec(part.name)?.[1];
    if (name !== undefined) attachments.push(attachmentOf(name, part.bytes, limits));
  }
  checkAttachmentSet(attachments);
  return { layout: 'v3', ...identity(tags), tags, start, end, attachments };
}

/** Legacy `types[i]` (sample type names) → the profile's kind, named as newer tracers name it. */
export function legacyProfileType(types: string): string {
  const list = types.split(',').map((t) => t.trim());
  if (list.includes('cpu')) return 'cpu';
  if (list.includes('inuse_space') || list.includes('alloc_space')) return 'heap';
  if (list.includes('delay')) return 'block';
  if (list.includes('contentions')) return 'mutex';
  if (list.includes('goroutine') || list.includes('goroutines')) return 'goroutines';
  const first = (list[0] ?? '').replace(/[^A-Za-z0-9_-]/g, '');
  if (first === '') throw badRequest(`types ${JSON.stringify(types.slice(0, 64))} names no sample type`);
  return first;
}

function parseLegacyLayout(parts: readonly MultipartPart[], limits: DatadogLimits): DatadogUpload {
  const field = (name: string) => {
    const part = single(parts, name);
    return part === undefined ? undefined : text(part);
  };
  const format = field('format');
  if (format !== undefined && format !== 'pprof') throw badRequest(`format ${JSON.stringify(format)} is not pprof`);
  const { start, end } = window(field('recording-start'), field('recording-end'), ['recording-start', 'recording-end']);
  const tags = parseDatadogTags(parts.filter((p) => p.name === 'tags[]').map(text), limits.maxTags);
  const attachments: Attachment[] = [];
  for (const part of parts) {
    const index = /^data\[(\d{1,4})\]$/.exec(part.name)?.[1];
    if (index === undefined) continue;
    const types = field(`types[${index}]`);
    if (types === undefined) throw badRequest(`data[${index}] has no types[${index}]`);
    const profileType = legacyProfileType(types);
    attachments.push(pprofAttachment(`${profileType}.pprof`, part.bytes, profileType, limits.maxDecompressedBytes));
  }
  checkAttachmentSet(attachments);
  return { layout: 'legacy', ...identity(tags), tags, start, end, attachments };
}

export function detectLayout(parts: readonly MultipartPart[]): DatadogLayout {
  const names = new Set(parts.map((p) => p.name));
  if (names.has('event')) return 'event';
  if (names.has('recording-start') || names.has('format') || [...names].some((n) => /^types\[\d+\]$/.test(n))) {
    return 'legacy';
  }
  if (names.has('version') || names.has('start') || [...names].some((n) => bracketed.test(n))) return 'v3';
  throw badRequest(
    'the upload has no event part (event.json with start, end, attachments, tags_profiler) nor the form fields of older tracers',
  );
}

/** The parts of one Datadog profiling upload → a validated upload. Pure; throws 4xx errors. */
export function parseDatadogUpload(parts: readonly MultipartPart[], limits: DatadogLimits): DatadogUpload {
  switch (detectLayout(parts)) {
    case 'event':
      return parseEventLayout(parts, limits);
    case 'v3':
      return parseV3Layout(parts, limits);
    case 'legacy':
      return parseLegacyLayout(parts, limits);
  }
}
