import { Kafka, logLevel as kafkaLogLevel, type SASLOptions } from 'kafkajs';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';

/** The Kafka client of one process, from HOTSPOTS_KAFKA_* (config.kafka); its logs go to `logger`. */
export function createKafka(settings: Config['kafka'], logger: Logger): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
    ...(settings.sasl ? { sasl: settings.sasl as SASLOptions } : {}),
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
