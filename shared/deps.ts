import { S3Client } from '@aws-sdk/client-s3';
import { createClient } from '@clickhouse/client';
import { Kafka, logLevel as kafkaLogLevel, type SASLOptions } from 'kafkajs';
import { createClickHouseDatabase } from './adapters/clickhouse/database.js';
import { createKafkaEnvelopePublisher } from './adapters/kafka/envelope-publisher.js';
import { createS3RawPayloadStore } from './adapters/s3/raw-payload-store.js';
import { type Authenticator, createAuthenticator } from './auth.js';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import type { EnvelopePublisher, RawPayloadStore, SqlDatabase } from './ports.js';

/**
 * The composition root: builds the S3, Kafka and ClickHouse clients once per cold start and hands
 * them to use cases. Nothing below shared/adapters imports an SDK.
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
    connectionTimeout: 3000,
    requestTimeout: 10000,
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
  });
  const clickhouse = createClient({
    url: config.clickhouse.url,
    username: config.clickhouse.username,
    password: config.clickhouse.password,
    database: config.clickhouse.database,
    request_timeout: config.clickhouse.requestTimeoutMs,
    // 64-bit integers come back as JSON strings, so ids and nanosecond sums never pass through a
    // JS number (the default on 18.16 and current servers, made explicit here).
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  const kafka = createKafka(config, logger);
  const publisher = createKafkaEnvelopePublisher(kafka);
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
