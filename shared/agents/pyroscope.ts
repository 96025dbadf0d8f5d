import { badRequest, unsupportedMediaType } from '../platform/errors.js';
import { parseTime, storableSeconds } from '../platform/time.js';
import {
  type AgentRequest,
  type AgentUpload,
  checkAttachmentSet,
  checkBody,
  checkName,
  checkTag,
} from './agent-upload.js';
import { type Attachment, pprofAttachment, rawAttachment } from './attachment.js';
import { isMultipart, type MultipartPart, parseMultipart } from './multipart.js';
import { type StoredUpload, type StoreUploadDeps, storeAgentUpload } from './store-upload.js';

/**
 * Pyroscope's `POST /ingest?name=<app>{k=v,…}&from=&until=&format=pprof&spyName=&sampleRate=`
 * (read from grafana/pyroscope pkg/ingester/pyroscope/ingest_handler.go and the pyroscope-go SDK's
 * upstream/remote). The body is a pprof, raw, or multipart with a `profile` part and an optional
 * `sample_type_config` JSON part; pyroscope-go sends multipart without `format`. Units, aggregation
 * and sample rate of a pprof come from the profile itself, so those parameters are not needed.
 */
export interface PyroscopeName {
  app: string;
  labels: Record<string, string>;
}

// Pyroscope's own alphabets (api/model/labelset/validate.go).
const appNamePattern = /^[A-Za-z0-9_.\-/]+$/;
const labelNamePattern = /^[A-Za-z0-9_.]+$/;

/** `app{k=v,k2=v2}` → app name and labels; `app` alone has no labels. */
export function parsePyroscopeName(raw: string | undefined, maxLabels: number): PyroscopeName {
  const name = raw?.trim() ?? '';
  if (name === '') throw badRequest('name is required: name=<app>{label=value,…}');
  const brace = name.indexOf('{');
  const app = (brace < 0 ? name : name.slice(0, brace)).trim();
  if (!appNamePattern.test(app)) {
    throw badRequest(`the application name ${JSON.stringify(app.slice(0, 64))} must match ${appNamePattern.source}`);
  }
  const labels: Record<string, string> = {};
  if (brace < 0) return { app, labels };
  const close = name.indexOf('}', brace);
  if (close < 0) throw badRequest('the label set in name has no closing }');
  if (name.slice(close + 1).trim() !== '') throw badRequest('name has text after the closing } of its label set');
  const items = name
    .slice(brace + 1, close)
    .split(',')
    .filter((item) => item.trim() !== '');
  if (items.length > maxLabels) throw badRequest(`name has ${items.length} labels, above the limit of ${maxLabels}`);
  for (const item of items) {
    const equals = item.indexOf('=');
    if (equals < 0) throw badRequest(`label ${JSON.stringify(item.trim().slice(0, 64))} in name must be key=value`);
    const key = item.slice(0, equals).trim();
    const value = item.slice(equals + 1).trim();
    if (!labelNamePattern.test(key)) {
      throw badRequest(`label name ${JSON.stringify(key.slice(0, 64))} must match ${labelNamePattern.source}`);
    }
    checkTag(key, value, 'label');
    labels[key] = value;
  }
  return { app, labels };
}

/**
 * `from` / `until` as Pyroscope reads them (pkg/og/util/attime): all digits are unix time whose
 * unit follows from the length — 19 digits ns (pyroscope-go sends UnixNano), 16 µs, 13 ms,
 * otherwise seconds; RFC 3339 is accepted too. Returns unix seconds, within what ClickHouse can
 * store (platform/time.ts).
 */
export function parsePyroscopeTime(value: string, what: string): number {
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const divisor = { 19: 1_000_000_000n, 16: 1_000_000n, 13: 1_000n }[text.length as 19 | 16 | 13];
    if (divisor !== undefined) {
      // BigInt first: a nanosecond timestamp is beyond 2^53.
      const whole = BigInt(text);
      return storableSeconds(Number(whole / divisor) + Number(whole % divisor) / Number(divisor), what, text);
    }
  }
  return parseTime(text, what);
}

const firstLabel = (labels: Record<string, string>, keys: readonly string[]): string =>
  keys.map((k) => labels[k]).find((v) => v !== undefined && v !== '') ?? '';

function single(parts: readonly MultipartPart[], name: string): MultipartPart | undefined {
  const found = parts.filter((p) => p.name === name);
  if (found.length > 1) throw badRequest(`part ${name} appears more than once`);
  return found[0];
}

function multipartAttachments(parts: readonly MultipartPart[], maxDecompressedBytes: number): Attachment[] {
  if (parts.some((p) => p.name === 'prev_profile')) {
    throw badRequest('prev_profile is obsolete (cumulative profiles): upgrade the Pyroscope client');
  }
  const profile = single(parts, 'profile');
  if (!profile) throw badRequest('the multipart body has no profile part');
  const attachments = [pprofAttachment('profile.pprof', profile.bytes, undefined, maxDecompressedBytes)];
  const config = single(parts, 'sample_type_config');
  if (config) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(config.bytes.toString('utf8'));
    } catch (error) {
      throw badRequest(`sample_type_config is not valid JSON: ${(error as Error).message}`, error);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw badRequest('sample_type_config must be a JSON object of sample type → settings');
    }
    attachments.push(rawAttachment('sample_type_config.json', config.bytes));
  }
  return attachments;
}

export interface PyroscopeIngestDeps extends StoreUploadDeps {
  maxBodyBytes: number;
  limits: { maxParts: number; maxPartBytes: number; maxTags: number; maxDecompressedBytes: number };
}

export interface PyroscopeRequest extends AgentRequest {
  query: Record<string, string | undefined>;
}

/** Parses and validates the whole request (pure but for multipart streaming); throws 4xx errors. */
export async function parsePyroscopeRequest(
  request: PyroscopeRequest,
  limits: PyroscopeIngestDeps['limits'],
  maxBodyBytes: number,
): Promise<AgentUpload> {
  const { query } = request;
  const multipart = isMultipart(request.contentType);
  const format = query.format?.trim().toLowerCase() || undefined;
  if (format !== undefined && format !== 'pprof') {
    throw unsupportedMediaType(`format ${JSON.stringify(format.slice(0, 32))} is not supported: send format=pprof`);
  }
  // Without format, Pyroscope reads a plain body as its "groups" text format; only pprof is taken here.
  if (format === undefined && !multipart) {
    throw unsupportedMediaType('send format=pprof with a raw pprof body (or a multipart body with a profile part)');
  }
  checkBody(request, maxBodyBytes);
  const { app, labels } = parsePyroscopeName(query.name, limits.maxTags);
  const start = query.from ? parsePyroscopeTime(query.from, 'from') : null;
  const rawEnd = query.until ? parsePyroscopeTime(query.until, 'until') : null;
  // pyroscope-go's flush on shutdown can send `until` before `from`; the SDK would log a 400 as a
  // failed upload and drop the profile, so the window is clamped instead (the pprof's own
  // time_nanos/duration_nanos are what coverage uses anyway).
  const end = rawEnd !== null && start !== null && rawEnd < start ? start : rawEnd;

  const attachments = multipart
    ? multipartAttachments(
        await parseMultipart(request.body, request.contentType as string, limits),
        limits.maxDecompressedBytes,
      )
    : [pprofAttachment('profile.pprof', Buffer.from(request.body), undefined, limits.maxDecompressedBytes)];
  checkAttachmentSet(attachments);
  return {
    // Pyroscope's rule: a service_name label names the service, else the application name does.
    service: checkName(labels.service_name || app, 'service', true),
    env: checkName(firstLabel(labels, ['env', 'environment', 'deployment.environment']), 'label env', false),
    version: checkName(firstLabel(labels, ['version', 'service_version', 'service.version']), 'label version', false),
    tags: labels,
    start,
    end,
    attachments,
  };
}

export async function ingestPyroscopeProfile(
  deps: PyroscopeIngestDeps,
  request: PyroscopeRequest,
): Promise<StoredUpload & { service: string }> {
  const upload = await parsePyroscopeRequest(request, deps.limits, deps.maxBodyBytes);
  const stored = await storeAgentUpload(deps, request.tenant, 'pyroscope', upload);
  return { ...stored, service: upload.service };
}
