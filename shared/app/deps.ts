import { createClickHouseClient } from '../platform/adapters/clickhouse/client.js';
import { createClickHouseDatabase } from '../platform/adapters/clickhouse/database.js';
import { createKafka } from '../platform/adapters/kafka/client.js';
import { createKafkaEnvelopePublisher } from '../platform/adapters/kafka/envelope-publisher.js';
import { createS3Client } from '../platform/adapters/s3/client.js';
import { createS3RawPayloadStore } from '../platform/adapters/s3/raw-payload-store.js';
import { type Authenticator, createAuthenticator } from '../platform/auth.js';
import type { Config } from '../platform/config.js';
import type { LabelMapping } from '../platform/labels.js';
import { createLogger, type Logger } from '../platform/logger.js';
import type { EnvelopePublisher, RawPayloadStore, SqlDatabase } from '../platform/ports.js';
import { createRetryBudget, type RetryBudget } from '../platform/retry-budget.js';
import { createProfileDecoder, type ProfileDecoder } from '../pprof/index.js';
import { createLabelMappingResolver } from '../profiles/label-mapping.js';
import { createInsertedIds, type InsertedIds } from '../profiles/rows/profile-batch-writer.js';

/**
 * The composition root: builds the S3, Kafka and ClickHouse clients (shared/platform/adapters)
 * once per cold start, and holds what a warm container keeps between invocations. Nothing but the
 * adapters imports an SDK.
 */
export interface Deps {
  config: Config;
  logger: Logger;
  auth: Authenticator;
  rawStore: RawPayloadStore;
  publisher: EnvelopePublisher;
  db: SqlDatabase;
  /** The pprof engine, with the decoder HOTSPOTS_PPROF_DECODER chose. */
  profileDecoder: ProfileDecoder;
  /** Each tenant's label mapping (HOTSPOTS_LABEL_MAPPINGS), resolved once. */
  labelMappingFor: (tenant: string) => LabelMapping;
  /** Stack and frame ids this container has inserted, so a warm consumer skips them in later batches. */
  insertedIds: InsertedIds;
  /** Failures of records with unclassified errors, counted against HOTSPOTS_MAX_UNEXPECTED_FAILURES. */
  retryBudget: RetryBudget;
  close(): Promise<void>;
}

const INSERTED_IDS_PER_CONTAINER = 1_000_000;

export function createDeps(config: Config): Deps {
  const logger = createLogger(config.logLevel);
  const s3 = createS3Client(config.s3);
  const clickhouse = createClickHouseClient(config.clickhouse);
  const publisher = createKafkaEnvelopePublisher(createKafka(config.kafka, logger), {
    publishTimeoutMs: config.kafka.publishTimeoutMs,
  });
  const profileDecoder = createProfileDecoder({ decoder: config.consumer.pprofDecoder });
  if (profileDecoder.wasmMissing) {
    logger.warn('WebAssembly pprof decoder not built (npm run build); decoding in JavaScript, ~2.5x slower');
  }
  return {
    config,
    logger,
    auth: createAuthenticator(config.apiKeys),
    rawStore: createS3RawPayloadStore(s3, config.s3.bucket),
    publisher,
    db: createClickHouseDatabase(clickhouse),
    profileDecoder,
    labelMappingFor: createLabelMappingResolver(config.labelMappings),
    insertedIds: createInsertedIds(INSERTED_IDS_PER_CONTAINER),
    retryBudget: createRetryBudget(config.limits.maxUnexpectedFailures),
    async close() {
      await publisher.disconnect().catch(() => undefined);
      await clickhouse.close();
      s3.destroy();
    },
  };
}
