import { type KafkaEvent, recordsOf } from '../../shared/kafka-event.js';
import { defaultLabelMapping } from '../../shared/labels.js';
import { runtimeDeps } from '../../shared/runtime.js';
import { processProfileRecords } from '../../shared/use-cases/process-profiles.js';

/**
 * Lambda Kafka event source → ClickHouse. Poison records are dead-lettered inside; a transient
 * failure throws, so Lambda (or the local event source) retries the whole batch uncommitted.
 */
export const handler = async (event: KafkaEvent) => {
  const deps = runtimeDeps();
  const { limits } = deps.config;
  return processProfileRecords(
    {
      rawStore: deps.rawStore,
      db: deps.db,
      logger: deps.logger,
      limits,
      labelMappingFor: () => defaultLabelMapping,
      deadLetterPrefix: deps.config.deadLetterPrefix,
    },
    recordsOf(event),
  );
};
