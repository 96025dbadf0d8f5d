import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';

/**
 * One record of a Lambda Kafka event carrying `value`, for feeding consumer use cases directly
 * (the local event source builds the same shape from real messages: toLambdaRecord).
 */
export function lambdaRecord(value: Buffer | string, offset: number, topic = 'hotspots.profiles'): KafkaEventRecord {
  return {
    topic,
    partition: 0,
    offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: null,
    value: (Buffer.isBuffer(value) ? value : Buffer.from(value)).toString('base64'),
    headers: [],
  };
}
