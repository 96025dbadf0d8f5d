import { handler } from '../../functions/process-profiles/handler.js';
import { loadConfig } from '../../shared/config.js';
import { createKafka } from '../../shared/deps.js';
import { createLogger } from '../../shared/logger.js';
import { runKafkaEventSource } from './kafka-event-source.js';

/** `node --import tsx infra/local/event-source-main.ts`: the local stand-in for Lambda's Kafka trigger. */
const config = loadConfig();
const logger = createLogger(config.logLevel, { component: 'event-source' });
const kafka = createKafka(config, logger);
const consumer = await runKafkaEventSource({
  kafka,
  bootstrapServers: config.kafka.brokers.join(','),
  topic: config.kafka.profilesTopic,
  groupId: config.kafka.consumerGroup,
  batchSize: 100,
  handler,
  logger,
});
logger.info('event source running', { topic: config.kafka.profilesTopic, group: config.kafka.consumerGroup });

const stop = async () => {
  await consumer.disconnect().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
