/**
 * One error hierarchy for the whole backend. Each error says whether retrying can help
 * (`retriable`, as kafkajs' KafkaJSError does): the consumer uses it to choose between
 * retrying a batch and dead-lettering a record, and `httpStatusOf` maps it to a response.
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal';

const statusByCode: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  too_many_requests: 429,
  unavailable: 503,
  internal: 500,
};

export class HotspotsError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HotspotsError';
    this.code = code;
    this.retriable = options.retriable ?? (code === 'unavailable' || code === 'too_many_requests');
  }

  get status(): number {
    return statusByCode[this.code];
  }
}

/** Input the caller can fix: never retried, exposed as-is. */
export const badRequest = (message: string, cause?: unknown) => new HotspotsError('bad_request', message, { cause });
export const unprocessable = (message: string, cause?: unknown) =>
  new HotspotsError('unprocessable', message, { cause });
export const payloadTooLarge = (message: string) => new HotspotsError('payload_too_large', message);
export const unsupportedMediaType = (message: string) => new HotspotsError('unsupported_media_type', message);
export const unauthorized = (message: string) => new HotspotsError('unauthorized', message);
export const notFound = (message: string) => new HotspotsError('not_found', message);

/** A dependency (S3, Kafka, ClickHouse) failed: retrying later can succeed. */
export const unavailable = (message: string, cause?: unknown) =>
  new HotspotsError('unavailable', message, { retriable: true, cause });

/**
 * A fault of ours that no retry fixes (a statement ClickHouse can never run). Answered as a
 * generic 500; the message and cause are for logs only.
 */
export const internal = (message: string, cause?: unknown) =>
  new HotspotsError('internal', message, { retriable: false, cause });

/**
 * Errors from outside our hierarchy (SDK, network) are treated as transient: losing data
 * because an unknown failure was classed as poison is worse than retrying it.
 */
export function isRetriable(error: unknown): boolean {
  return error instanceof HotspotsError ? error.retriable : true;
}

/** Status and body for an HTTP answer. Internal errors, ours or not, never show their message (500). */
export function httpErrorOf(error: unknown): { status: number; code: ErrorCode; message: string } {
  if (error instanceof HotspotsError && error.code !== 'internal') {
    return { status: error.status, code: error.code, message: error.message };
  }
  return { status: 500, code: 'internal', message: 'internal error' };
}

/** Longest cause text a log line carries: a ClickHouse error can quote a whole statement. */
const MAX_LOGGED_CAUSE_CHARS = 4096;

/** The messages of an error's causes, innermost last, for server-side logs only. */
export function causeOf(error: unknown): string | undefined {
  const messages: string[] = [];
  for (let at = (error as Error | undefined)?.cause; at !== undefined && messages.length < 5; ) {
    messages.push(at instanceof Error ? at.message || `${at.name} without a message` : String(at));
    at = at instanceof Error ? at.cause : undefined;
  }
  const text = messages.join(' <- ');
  return text === '' ? undefined : text.slice(0, MAX_LOGGED_CAUSE_CHARS);
}
