import { invocation } from '../../shared/app/runtime.js';
import { type KafkaEvent, recordsOf } from '../../shared/platform/kafka-event.js';

/**
 * Lambda Kafka event source (topic hotspots.spans) → ClickHouse `spans`. Poison records are
 * dead-lettered inside; a transient failure throws so the whole batch is retried uncommitted.
 */
export const handler = async (event: KafkaEvent, context?: { awsRequestId?: string }) =>
  invocation(context?.awsRequestId).useCases.processSpanRecords(recordsOf(event));
