import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type RunningApp, startApp } from '../../infra/local/app.js';
import { createTopics, migrateClickHouse, topicDefinitions } from '../../infra/local/prepare.js';
import { appEnvironment, repoRoot, stackSettings } from '../../infra/local/settings.js';
import { startStack, stopStack } from '../../infra/local/stack.js';
import { loadConfig } from '../../shared/platform/config.js';

/**
 * Starts the real local stack (or reuses a running one, e.g. from `npm start`), migrates it, and
 * runs the functions under serverless offline on their own port, so tests go through HTTP like an
 * agent and a user. Services this setup started are stopped at the end; the run's database and
 * topics (named after the test port) stay, and the next run on that port reuses them.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    apiKey: string;
    appEnv: Record<string, string>;
  }
}

export const testApiKeys = 'hotspots-test-key-a:test-a,hotspots-test-key-b:test-b';
export const testMaxBodyBytes = 2 * 1024 * 1024;

export default async function setup(project: TestProject) {
  const log = (message: string) => console.log(`[stack] ${message}`);
  const port = process.env.HOTSPOTS_TEST_PORT ?? '3100';
  const settings = stackSettings({ ...process.env, PORT: port, HOTSPOTS_API_KEYS: testApiKeys });
  const started = await startStack(settings, log);
  let app: RunningApp | undefined;
  try {
    // The run's own database, topics and consumer groups (one set per test port): the servers may
    // be those of a running `npm start`, whose event source must not consume the tests' envelopes
    // (nor ours its), and whose profiles must not appear in the tests' answers.
    const namespace = `test-${port}`;
    const env = appEnvironment(settings, namespace);
    const config = loadConfig(env);
    await migrateClickHouse(config.clickhouse.url, config.clickhouse.database);
    await createTopics(config.kafka.brokers, topicDefinitions(config.kafka));
    // `npm test` builds first; a bare `vitest run` on a fresh clone builds here (functions + UI).
    if (!existsSync(join(repoRoot, 'dist', 'functions')) || !existsSync(join(repoRoot, 'dist', 'web'))) {
      const build = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });
      if (build.status !== 0) throw new Error('npm run build failed');
    }
    // Smaller body limits than the defaults, so the 413 tests need not send 10 or 64 MiB.
    app = await startApp(settings, {
      namespace,
      extraEnv: {
        HOTSPOTS_MAX_BODY_BYTES: String(testMaxBodyBytes),
        HOTSPOTS_OTLP_MAX_BODY_BYTES: String(testMaxBodyBytes),
      },
    });
    log(`functions serving on ${app.url}`);
    project.provide('apiUrl', app.url);
    project.provide('apiKey', 'hotspots-test-key-a');
    project.provide('appEnv', env);
  } catch (error) {
    await app?.stop();
    await stopStack(settings, started, log);
    throw error;
  }
  return async () => {
    await app?.stop();
    if (process.env.HOTSPOTS_KEEP_STACK !== '1') await stopStack(settings, started, log);
  };
}
