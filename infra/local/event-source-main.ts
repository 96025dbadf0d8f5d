import { handler as processProfiles } from '../../functions/process-profiles/handler.js';
import { handler as processSpans } from '../../functions/process-spans/handler.js';
import { createKafka } from '../../shared/platform/adapters/kafka/client.js';
import { loadConfig } from '../../shared/platform/config.js';
import type { KafkaEvent } from '../../shared/platform/kafka-event.js';
import { createLogger } from '../../shared/platform/logger.js';
import { runKafkaEventSource } from './kafka-event-source.js';

/**
 * `node --import tsx infra/local/event-source-main.ts`: the local stand-in for Lambda's Kafka
 * triggers — one consumer group per consumer function, as serverless.yml wires them in AWS.
 */
const config = loadConfig();
const logger = createLogger(config.logLevel, { component: 'event-source' });
const kafka = createKafka(config.kafka, logger);

const consumerFunctions: { name: string; topic: string; handler: (event: KafkaEvent) => Promise<unknown> }[] = [
  { name: 'processProfiles', topic: config.kafka.profilesTopic, handler: processProfiles },
  { name: 'processSpans', topic: config.kafka.spansTopic, handler: processSpans },
];

const consumers = await Promise.all(
  consumerFunctions.map(async (fn) => {
    const consumer = await runKafkaEventSource({
      kafka,
      bootstrapServers: config.kafka.brokers.join(','),
      topic: fn.topic,
      // Group per function, prefixed by the configured group, like separate event source mappings.
      groupId: fn.name === 'processProfiles' ? config.kafka.consumerGroup : `${config.kafka.consumerGroup}.${fn.name}`,
      batchSize: 100,
      handler: fn.handler,
      logger: logger.child({ function: fn.name }),
      // A consumer that stopped for good must not leave a process that looks alive.
      onFatalCrash: () => process.exit(1),
    });
    logger.info('event source running', { function: fn.name, topic: fn.topic });
    return consumer;
  }),
);

const stop = async () => {
  await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
