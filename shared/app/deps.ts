import { S3Client } from '@aws-sdk/client-s3';
import { Kafka, logLevel as kafkaLogLevel, type SASLOptions } from 'kafkajs';
import { createClickHouseClient } from '../platform/adapters/clickhouse/client.js';
import { createClickHouseDatabase } from '../platform/adapters/clickhouse/database.js';
import { createKafkaEnvelopePublisher } from '../platform/adapters/kafka/envelope-publisher.js';
import { createS3RawPayloadStore } from '../platform/adapters/s3/raw-payload-store.js';
import { type Authenticator, createAuthenticator } from '../platform/auth.js';
import type { Config } from '../platform/config.js';
import { createLogger, type Logger } from '../platform/logger.js';
import type { EnvelopePublisher, RawPayloadStore, SqlDatabase } from '../platform/ports.js';

/**
 * The composition root: builds the S3, Kafka and ClickHouse clients once per cold start and hands
 * them to use cases. Nothing below shared/platform/adapters imports an SDK.
 */
export interface Deps {
  config: Config;
  logger: Logger;
  auth: Authenticator;
  rawStore: RawPayloadStore;
  publisher: EnvelopePublisher;
  db: SqlDatabase;
  kafka: Kafka;
  close(): Promise<void>;
}

export function createKafka(config: Config, logger: Logger): Kafka {
  return new Kafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    ssl: config.kafka.ssl,
    ...(config.kafka.sasl ? { sasl: config.kafka.sasl as SASLOptions } : {}),
    // Measured on the chaos stack (test/chaos/outages.test.ts): with the broker's port closed a
    // publish fails in ~2–4 s (3 retries of a refused connection); with a broker that accepts
    // connections but never answers, 4 attempts × 10 s took 41 s, past API Gateway's 29 s. Hence
    // 5 s per request (Fetch and JoinGroup set their own, longer timeouts) and, for publishes, an
    // overall deadline (HOTSPOTS_KAFKA_PUBLISH_TIMEOUT_MS) in the envelope publisher.
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 3, initialRetryTime: 200 },
    logLevel: kafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        const method = level <= kafkaLogLevel.ERROR ? 'error' : level === kafkaLogLevel.WARN ? 'warn' : 'debug';
        logger[method](`kafkajs: ${message}`, extra);
      },
  });
}

export function createDeps(config: Config): Deps {
  const logger = createLogger(config.logLevel);
  const s3 = new S3Client({
    region: config.s3.region,
    forcePathStyle: config.s3.forcePathStyle,
    ...(config.s3.endpoint ? { endpoint: config.s3.endpoint } : {}),
    ...(config.s3.credentials ? { credentials: config.s3.credentials } : {}),
    // The SDK sets no socket timeout by default (and only warns past requestTimeout unless told to
    // throw): a hung S3 endpoint held an upload until the Lambda timeout (measured, chaos suite).
    // Two attempts of at most requestTimeoutMs each keep that failure a fast 503.
    requestHandler: {
      connectionTimeout: 3000,
      requestTimeout: config.s3.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    maxAttempts: 2,
  });
  const clickhouse = createClickHouseClient(config.clickhouse);
  const kafka = createKafka(config, logger);
  const publisher = createKafkaEnvelopePublisher(kafka, { publishTimeoutMs: config.kafka.publishTimeoutMs });
  return {
    config,
    logger,
    auth: createAuthenticator(config.apiKeys),
    rawStore: createS3RawPayloadStore(s3, config.s3.bucket),
    publisher,
    db: createClickHouseDatabase(clickhouse),
    kafka,
    async close() {
      await publisher.disconnect().catch(() => undefined);
      await clickhouse.close();
      s3.destroy();
    },
  };
}
