/**
 * The event Lambda's Kafka event source (MSK or self-managed) delivers: records grouped by
 * "topic-partition", keys and values base64, headers as arrays of byte values.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html (event example)
 */
export interface KafkaEventRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key?: string | null;
  value: string | null;
  headers: Array<Record<string, number[]>>;
}

export interface KafkaEvent {
  eventSource: 'aws:kafka' | 'SelfManagedKafka';
  eventSourceArn?: string;
  bootstrapServers?: string;
  records: Record<string, KafkaEventRecord[]>;
}

/** Records in delivery order: partitions as given, offsets ascending within each. */
export function recordsOf(event: KafkaEvent): KafkaEventRecord[] {
  if (typeof event !== 'object' || event === null || typeof event.records !== 'object' || event.records === null) {
    throw new TypeError('not a Lambda Kafka event: records missing');
  }
  return Object.values(event.records).flatMap((records) => [...records].sort((a, b) => a.offset - b.offset));
}
