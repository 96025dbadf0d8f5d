import { join } from 'node:path';
import { appEnvironment, repoRoot, type StackSettings, stackSettings } from '../../../infra/local/settings.js';
import { testApiKeys } from '../../support/global-setup.js';

/**
 * The chaos suite's own stack. Its tests stop and restart ClickHouse, Kafka and S3 and kill the
 * consumer, so it must never run on the default stack that `npm start` and other test runs share:
 * every port and the data folder are fixed here, away from the defaults, and the caller's
 * HOTSPOTS_*_PORT / PORT / HOTSPOTS_DATA_DIR variables are deliberately ignored.
 * `HOTSPOTS_CHAOS_PORT_OFFSET` (default 0) moves all ports at once, so two chaos runs can coexist.
 */
const basePorts = {
  PORT: 3700,
  HOTSPOTS_LAMBDA_PORT: 3702,
  HOTSPOTS_CLICKHOUSE_HTTP_PORT: 18123,
  HOTSPOTS_CLICKHOUSE_TCP_PORT: 19000,
  HOTSPOTS_KAFKA_PORT: 19092,
  HOTSPOTS_KAFKA_CONTROLLER_PORT: 19093,
  HOTSPOTS_S3_PORT: 14569,
} as const;

export const chaosConsumerGroup = 'hotspots-chaos';

function portOffset(env: NodeJS.ProcessEnv): number {
  const raw = env.HOTSPOTS_CHAOS_PORT_OFFSET ?? '0';
  const offset = Number(raw);
  if (!Number.isInteger(offset) || offset < 0 || offset > 1000) {
    throw new Error(`HOTSPOTS_CHAOS_PORT_OFFSET must be a whole number from 0 to 1000, got ${raw}`);
  }
  return offset;
}

export function chaosStackEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const offset = portOffset(env);
  const ports = Object.fromEntries(Object.entries(basePorts).map(([name, port]) => [name, String(port + offset)]));
  return {
    ...ports,
    HOTSPOTS_DATA_DIR: join(repoRoot, '.data', offset === 0 ? 'chaos' : `chaos-${offset}`),
    HOTSPOTS_API_KEYS: testApiKeys,
    ...(env.HOTSPOTS_CACHE_DIR ? { HOTSPOTS_CACHE_DIR: env.HOTSPOTS_CACHE_DIR } : {}),
  };
}

const portsOf = (s: StackSettings) => [
  s.api.port,
  s.api.lambdaPort,
  s.clickhouse.httpPort,
  s.clickhouse.tcpPort,
  s.kafka.port,
  s.kafka.controllerPort,
  s.s3.port,
];

/** Refuses settings that share a port or the data folder with the default stack or the caller's. */
export function assertSeparateFromDefault(chaos: StackSettings, env: NodeJS.ProcessEnv = process.env): void {
  for (const other of [stackSettings({}), stackSettings(env)]) {
    const shared = portsOf(chaos).filter((port) => portsOf(other).includes(port));
    if (shared.length > 0) throw new Error(`chaos stack would share ports ${shared.join(', ')} with the default stack`);
    if (chaos.dataDir === other.dataDir) throw new Error(`chaos stack would share ${chaos.dataDir}`);
  }
  // Test ports of the services project (HOTSPOTS_TEST_PORT, default 3100, lambda port +2).
  const testPort = Number(env.HOTSPOTS_TEST_PORT ?? '3100');
  if ([testPort, testPort + 2].includes(chaos.api.port) || [testPort, testPort + 2].includes(chaos.api.lambdaPort)) {
    throw new Error('chaos API ports collide with HOTSPOTS_TEST_PORT; set HOTSPOTS_CHAOS_PORT_OFFSET');
  }
}

export function chaosSettings(env: NodeJS.ProcessEnv = process.env): StackSettings {
  const settings = stackSettings(chaosStackEnv(env));
  assertSeparateFromDefault(settings, env);
  return settings;
}

/** The HOTSPOTS_* variables of the functions on the chaos stack (what tests build their Config from). */
export function chaosAppEnv(settings: StackSettings): Record<string, string> {
  return { ...appEnvironment(settings), HOTSPOTS_CONSUMER_GROUP: chaosConsumerGroup };
}
