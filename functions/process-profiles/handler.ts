import { createLabelMappingResolver } from '../../shared/agents/label-mapping.js';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { type KafkaEvent, recordsOf } from '../../shared/platform/kafka-event.js';
import { processProfileRecords } from '../../shared/profiles/process-profiles.js';

// Built once per container, like the clients in runtimeDeps.
let labelMappingFor: ReturnType<typeof createLabelMappingResolver> | undefined;

/**
 * Lambda Kafka event source → ClickHouse. Poison records are dead-lettered inside (S3 and the
 * dead-letter topic); a transient failure throws, so Lambda (or the local event source) retries
 * the whole batch uncommitted.
 */
export const handler = async (event: KafkaEvent) => {
  const deps = runtimeDeps();
  const { limits } = deps.config;
  labelMappingFor ??= createLabelMappingResolver(deps.config.labelMappings);
  return processProfileRecords(
    {
      rawStore: deps.rawStore,
      db: deps.db,
      logger: deps.logger,
      limits,
      labelMappingFor,
      deadLetterPrefix: deps.config.deadLetterPrefix,
      insertChunkBytes: deps.config.consumer.insertChunkBytes,
      prefetch: deps.config.consumer.prefetch,
      pprofDecoder: deps.config.consumer.pprofDecoder,
      deadLetterTopic: { publisher: deps.publisher, name: deps.config.kafka.deadLetterTopic },
    },
    recordsOf(event),
  );
};
