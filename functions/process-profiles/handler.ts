import { invocation } from '../../shared/app/runtime.js';
import { type KafkaEvent, recordsOf } from '../../shared/platform/kafka-event.js';

/**
 * Lambda Kafka event source → ClickHouse. Poison records are dead-lettered inside (S3 and the
 * dead-letter topic); a transient failure throws, so Lambda (or the local event source) retries
 * the whole batch uncommitted.
 */
export const handler = async (event: KafkaEvent, context?: { awsRequestId?: string }) =>
  invocation(context?.awsRequestId).useCases.processProfileRecords(recordsOf(event));
