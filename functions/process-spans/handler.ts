import { runtimeDeps } from '../../shared/app/runtime.js';
import { type KafkaEvent, recordsOf } from '../../shared/platform/kafka-event.js';
import { processSpanRecords } from '../../shared/spans/process-spans.js';

/**
 * Lambda Kafka event source (topic hotspots.spans) → ClickHouse `spans`. Poison records are
 * dead-lettered inside; a transient failure throws so the whole batch is retried uncommitted.
 */
export const handler = async (event: KafkaEvent) => {
  const deps = runtimeDeps();
  return processSpanRecords(
    {
      rawStore: deps.rawStore,
      db: deps.db,
      logger: deps.logger,
      limits: { ...deps.config.spanLimits, maxDecompressedBytes: deps.config.limits.maxDecompressedBytes },
      deadLetterPrefix: deps.config.deadLetterPrefix,
      deadLetterTopic: { publisher: deps.publisher, name: deps.config.kafka.deadLetterTopic },
    },
    recordsOf(event),
  );
};
