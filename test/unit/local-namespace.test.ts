import { describe, expect, it } from 'vitest';
import { topicDefinitions } from '../../infra/local/prepare.js';
import { appEnvironment, stackSettings } from '../../infra/local/settings.js';
import { loadConfig } from '../../shared/platform/config.js';

/**
 * A namespaced run of the functions (the test run beside `npm start`) on the same servers: its
 * database, topics and consumer groups must all differ from the default ones, and be valid names.
 */
const settings = stackSettings({});

describe('appEnvironment with a namespace', () => {
  it('names a database, topics and a consumer group of the namespace', () => {
    const { clickhouse, kafka } = loadConfig(appEnvironment(settings, 'test-3204'));

    expect({
      database: clickhouse.database,
      profiles: kafka.profilesTopic,
      spans: kafka.spansTopic,
      deadLetters: kafka.deadLetterTopic,
      group: kafka.consumerGroup,
    }).toEqual({
      database: 'hotspots_test_3204',
      profiles: 'hotspots.test-3204.profiles',
      spans: 'hotspots.test-3204.spans',
      deadLetters: 'hotspots.test-3204.dead-letter',
      group: 'hotspots-test-3204',
    });
  });

  it('shares no name with the default environment', () => {
    const names = (env: Record<string, string>) => {
      const { clickhouse, kafka } = loadConfig(env);
      return [clickhouse.database, kafka.profilesTopic, kafka.spansTopic, kafka.deadLetterTopic, kafka.consumerGroup];
    };

    const plain = names(appEnvironment(settings));
    const namespaced = names(appEnvironment(settings, 'test-3100'));

    expect(namespaced.filter((name) => plain.includes(name))).toEqual([]);
  });

  it('refuses a namespace that would not make a plain database name', () => {
    expect(() => appEnvironment(settings, 'Test 1')).toThrow(/namespace "Test 1"/);
  });
});

describe('topicDefinitions', () => {
  it('gives the namespace the topics of topics.json with their partitions and retention', () => {
    const defaults = topicDefinitions();

    const renamed = topicDefinitions(loadConfig(appEnvironment(settings, 'test-3204')).kafka);

    expect(renamed.map((t) => t.name)).toEqual([
      'hotspots.test-3204.profiles',
      'hotspots.test-3204.spans',
      'hotspots.test-3204.dead-letter',
    ]);
    expect(renamed.map(({ partitions, configs }) => ({ partitions, configs }))).toEqual(
      defaults.map(({ partitions, configs }) => ({ partitions, configs })),
    );
  });
});
