import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where and on which loopback ports the local stack runs. Every port can be moved with an
 * environment variable, so a second stack (or a busy port) never forces editing files.
 */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface StackSettings {
  host: '127.0.0.1';
  dataDir: string;
  cacheDir: string;
  kafkaVersion: string;
  clickhouse: { httpPort: number; tcpPort: number };
  kafka: { port: number; controllerPort: number };
  s3: { port: number; bucket: string };
  api: { port: number; lambdaPort: number };
  apiKeys: string;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new Error(`${name} must be a port number, got ${raw}`);
  return value;
}

export function stackSettings(env: NodeJS.ProcessEnv = process.env): StackSettings {
  const apiPort = port(env, 'PORT', 3000);
  return {
    host: '127.0.0.1',
    dataDir: resolve(env.HOTSPOTS_DATA_DIR ?? join(repoRoot, '.data')),
    cacheDir: resolve(env.HOTSPOTS_CACHE_DIR ?? join(homedir(), '.cache', 'hotspots')),
    kafkaVersion: '3.9.1',
    clickhouse: {
      httpPort: port(env, 'HOTSPOTS_CLICKHOUSE_HTTP_PORT', 8123),
      tcpPort: port(env, 'HOTSPOTS_CLICKHOUSE_TCP_PORT', 9000),
    },
    kafka: {
      port: port(env, 'HOTSPOTS_KAFKA_PORT', 9092),
      controllerPort: port(env, 'HOTSPOTS_KAFKA_CONTROLLER_PORT', 9093),
    },
    s3: { port: port(env, 'HOTSPOTS_S3_PORT', 4569), bucket: env.HOTSPOTS_RAW_BUCKET ?? 'hotspots-raw' },
    api: { port: apiPort, lambdaPort: port(env, 'HOTSPOTS_LAMBDA_PORT', apiPort + 2) },
    apiKeys: env.HOTSPOTS_API_KEYS ?? 'local-dev-key:default',
  };
}

/**
 * The HOTSPOTS_* variables the functions read (shared/platform/config.ts) for this local stack.
 * With a `namespace` (`test-3100`), the ClickHouse database, the Kafka topics and the consumer
 * groups are the namespace's own: a test run shares the servers of a running `npm start`, but no
 * records and no rows, so neither consumes the other's envelopes nor counts the other's profiles.
 */
export function appEnvironment(settings: StackSettings, namespace?: string): Record<string, string> {
  return {
    HOTSPOTS_API_KEYS: settings.apiKeys,
    HOTSPOTS_RAW_BUCKET: settings.s3.bucket,
    HOTSPOTS_S3_ENDPOINT: `http://${settings.host}:${settings.s3.port}`,
    HOTSPOTS_S3_ACCESS_KEY_ID: 'S3RVER',
    HOTSPOTS_S3_SECRET_ACCESS_KEY: 'S3RVER',
    HOTSPOTS_KAFKA_BROKERS: `${settings.host}:${settings.kafka.port}`,
    HOTSPOTS_CLICKHOUSE_URL: `http://${settings.host}:${settings.clickhouse.httpPort}`,
    HOTSPOTS_CLICKHOUSE_DATABASE: 'hotspots',
    ...(namespace === undefined ? {} : namespacedEnvironment(namespace)),
  };
}

function namespacedEnvironment(namespace: string): Record<string, string> {
  // One alphabet valid in a ClickHouse identifier (once '-' is '_'), a topic and a group name.
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(namespace)) {
    throw new Error(`namespace ${JSON.stringify(namespace)} must be lowercase letters, digits and '-'`);
  }
  return {
    HOTSPOTS_CLICKHOUSE_DATABASE: `hotspots_${namespace.replaceAll('-', '_')}`,
    HOTSPOTS_PROFILES_TOPIC: `hotspots.${namespace}.profiles`,
    HOTSPOTS_SPANS_TOPIC: `hotspots.${namespace}.spans`,
    HOTSPOTS_DEAD_LETTER_TOPIC: `hotspots.${namespace}.dead-letter`,
    // The spans consumer joins `<group>.processSpans` (infra/local/event-source-main.ts).
    HOTSPOTS_CONSUMER_GROUP: `hotspots-${namespace}`,
  };
}
