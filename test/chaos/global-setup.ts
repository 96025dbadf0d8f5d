import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createTopics, migrateClickHouse } from '../../infra/local/prepare.js';
import { isAlive } from '../../infra/local/processes.js';
import { repoRoot, type StackSettings } from '../../infra/local/settings.js';
import { stackPids, startStack, stopStack } from '../../infra/local/stack.js';
import { chaosAppEnv, chaosSettings } from './support/chaos-stack.js';

/**
 * Global setup of the `chaos` project: starts the chaos suite's OWN ClickHouse, Kafka and S3
 * (ports and data folder from support/chaos-stack.ts, never the default stack's), migrates it
 * and creates the topics. Each test file starts the functions itself (support/chaos-app.ts),
 * since it kills and restarts them. The chaos services are stopped at the end (they belong to
 * this suite alone) unless HOTSPOTS_KEEP_STACK=1. A chaos stack that is not running starts from
 * empty data (HOTSPOTS_CHAOS_KEEP_DATA=1 keeps it), so every run measures the same thing.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    chaosSettings: StackSettings;
  }
}

export default async function setup(project: TestProject) {
  const log = (message: string) => console.log(`[chaos stack] ${message}`);
  const settings = chaosSettings();
  log(
    `data in ${settings.dataDir}; ClickHouse :${settings.clickhouse.httpPort}, Kafka :${settings.kafka.port}, S3 :${settings.s3.port}, API :${settings.api.port}`,
  );
  const running = Object.values(stackPids(settings)).some((pid) => pid !== undefined && isAlive(pid));
  if (!running && process.env.HOTSPOTS_CHAOS_KEEP_DATA !== '1') {
    log(`starting from empty data in ${settings.dataDir}`);
    for (const dir of ['clickhouse', 'kafka', 's3', 'app', 'chaos-report.jsonl']) {
      rmSync(join(settings.dataDir, dir), { recursive: true, force: true });
    }
  }
  await startStack(settings, log);
  const env = chaosAppEnv(settings);
  try {
    await migrateClickHouse(env.HOTSPOTS_CLICKHOUSE_URL ?? '', env.HOTSPOTS_CLICKHOUSE_DATABASE ?? 'hotspots');
    await createTopics([env.HOTSPOTS_KAFKA_BROKERS ?? '']);
    if (!existsSync(join(repoRoot, 'dist', 'functions'))) {
      const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
        cwd: repoRoot,
        stdio: 'inherit',
      });
      if (build.status !== 0) throw new Error('TypeScript build failed');
    }
  } catch (error) {
    await stopStack(settings, undefined, log);
    throw error;
  }
  project.provide('chaosSettings', settings);
  project.provide('apiUrl', `http://${settings.host}:${settings.api.port}`);
  project.provide('apiKey', 'hotspots-test-key-a');
  project.provide('appEnv', env);
  return async () => {
    if (process.env.HOTSPOTS_KEEP_STACK !== '1') await stopStack(settings, undefined, log);
  };
}
