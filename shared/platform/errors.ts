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
 * Errors from outside our hierarchy (SDK, network) are treated as transient: losing data
 * because an unknown failure was classed as poison is worse than retrying it.
 */
export function isRetriable(error: unknown): boolean {
  return error instanceof HotspotsError ? error.retriable : true;
}

/** Status and body for an HTTP answer. Internals of non-Hotspots errors never leak (500). */
export function httpErrorOf(error: unknown): { status: number; code: ErrorCode; message: string } {
  if (error instanceof HotspotsError) return { status: error.status, code: error.code, message: error.message };
  return { status: 500, code: 'internal', message: 'internal error' };
}
