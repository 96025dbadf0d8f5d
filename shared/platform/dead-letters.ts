import { HotspotsError } from './errors.js';
import type { KafkaEventRecord } from './kafka-event.js';
import type { EnvelopePublisher, RawPayloadStore } from './ports.js';

/**
 * A dead letter: a Kafka record its consumer can never process, with the reason and the original
 * record value, so that a replay (infra/local/replay-dead-letters.ts) can republish it byte for byte
 * after a fix. Each one is written twice, in this order:
 *  1. to S3, `<prefix><source>/<tenant>/<yyyy>/<mm>/<dd>/<topic>-<partition>-<offset>.json` — the
 *     durable copy the replay tool reads (the key is deterministic, so a retried batch overwrites it);
 *  2. to the dead-letter topic, keyed by `<topic>-<partition>-<offset>` — for alerting and for
 *     anything that wants to follow dead letters as a stream.
 * Both are awaited before the consumer moves on: a failure of either is retriable and the whole
 * batch comes back, so a poison record is never skipped without its dead letter.
 */
export type DeadLetterSource = 'profiles' | 'spans';

export interface DeadLetter {
  v: 1;
  kind: 'dead_letter';
  source: DeadLetterSource;
  reason: { code: string; message: string };
  failed_at: string;
  topic: string;
  partition: number;
  offset: number;
  tenant: string | null;
  /** Profile id (profiles) or batch id (spans) when the envelope could be parsed. */
  id: string | null;
  /** Where the full dead letter is kept in the raw bucket. */
  s3_key: string;
  /** The parsed envelope, or null when it could not be parsed. */
  envelope: unknown;
  /** The original record value (base64), exactly as consumed. */
  value_base64: string | null;
  /** Set on the Kafka copy when the envelope was too large to repeat there (see s3_key). */
  truncated?: true;
}

export interface DeadLetterSink {
  rawStore: RawPayloadStore;
  deadLetterPrefix: string;
  /** The dead-letter topic; undefined keeps the S3 copy only (unit tests, tools). */
  topic?: { publisher: EnvelopePublisher; name: string };
  now?: () => Date;
}

/** A consumer's dependencies as a sink: its dead-letter topic is optional, as is its clock. */
export function deadLetterSinkOf(deps: {
  rawStore: RawPayloadStore;
  deadLetterPrefix: string;
  deadLetterTopic?: { publisher: EnvelopePublisher; name: string } | undefined;
  now?: (() => Date) | undefined;
}): DeadLetterSink {
  return {
    rawStore: deps.rawStore,
    deadLetterPrefix: deps.deadLetterPrefix,
    ...(deps.deadLetterTopic ? { topic: deps.deadLetterTopic } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  };
}

// Tenants name S3 prefixes: only the alphabet of config.ts' tenant names gets into a key.
const tenantPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// Kafka's default max.message.bytes is 1 MB; dead letters above this keep their bulk in S3 only.
const MAX_TOPIC_MESSAGE_BYTES = 900_000;

export function reasonOf(error: unknown): { code: string; message: string } {
  if (error instanceof HotspotsError) return { code: error.code, message: error.message };
  return { code: 'internal', message: (error as Error)?.message ?? String(error) };
}

export function deadLetterKey(
  prefix: string,
  source: DeadLetterSource,
  tenant: string | null,
  at: Date,
  record: Pick<KafkaEventRecord, 'topic' | 'partition' | 'offset'>,
): string {
  const folder = tenant !== null && tenantPattern.test(tenant) ? tenant : '_unknown';
  const day = at.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${prefix}${source}/${folder}/${day}/${record.topic}-${record.partition}-${record.offset}.json`;
}

export async function writeDeadLetter(
  sink: DeadLetterSink,
  source: DeadLetterSource,
  record: KafkaEventRecord,
  parsed: { envelope: unknown; tenant: string | null; id: string | null },
  error: unknown,
): Promise<DeadLetter> {
  const now = (sink.now ?? (() => new Date()))();
  const letter: DeadLetter = {
    v: 1,
    kind: 'dead_letter',
    source,
    reason: reasonOf(error),
    failed_at: now.toISOString(),
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    tenant: parsed.tenant,
    id: parsed.id,
    s3_key: deadLetterKey(sink.deadLetterPrefix, source, parsed.tenant, now, record),
    envelope: parsed.envelope ?? null,
    value_base64: record.value,
  };
  await sink.rawStore.put(letter.s3_key, Buffer.from(JSON.stringify(letter, null, 2)), 'application/json');
  if (sink.topic) {
    let value = Buffer.from(JSON.stringify(letter));
    if (value.length > MAX_TOPIC_MESSAGE_BYTES) {
      value = Buffer.from(JSON.stringify({ ...letter, envelope: null, value_base64: null, truncated: true }));
    }
    await sink.topic.publisher.publish(sink.topic.name, `${record.topic}-${record.partition}-${record.offset}`, value);
  }
  return letter;
}

/** Reads a dead letter back (S3 object or topic message); older S3 letters lack the v1 fields. */
export function parseDeadLetter(bytes: Uint8Array): {
  topic: string;
  partition: number;
  offset: number;
  reason: { code: string; message: string };
  value: Buffer | null;
  id: string | null;
  tenant: string | null;
} {
  const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  if (typeof parsed !== 'object' || parsed === null) throw new TypeError('a dead letter is a JSON object');
  const { topic, partition, offset, reason, value_base64: value } = parsed;
  if (typeof topic !== 'string' || topic === '') throw new TypeError('dead letter has no topic');
  if (!Number.isInteger(partition) || !Number.isInteger(offset)) throw new TypeError('dead letter has no position');
  const envelope = (parsed.envelope ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const why = (reason ?? {}) as Record<string, unknown>;
  return {
    topic,
    partition: partition as number,
    offset: offset as number,
    reason: { code: String(why.code ?? 'unknown'), message: String(why.message ?? '') },
    value: typeof value === 'string' ? Buffer.from(value, 'base64') : null,
    id: text(parsed.id) ?? text(envelope.profile_id) ?? text(envelope.batch_id),
    tenant: text(parsed.tenant) ?? text(envelope.tenant),
  };
}
